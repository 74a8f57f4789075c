import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FrameError } from './codec';
import { createRpcClient, type MessagePortLike } from './rpc-client';
import { EVENTS, OPERATIONS, RunConfig } from './schemas';
import { dispatch, parseEvent, parseParams, type Handlers, type RequestMessage } from './wire';
import { StudioError } from './errors';

const validConfig = {
  source: { kind: 'synthetic', height: 32, width: 32, nonzeros: 5, seed: 1 },
  layers: [
    { filters: 8, kernel: 6, stride: 2, pad: 0, dictionary: { kind: 'random', seed: 1 } },
    { filters: 16, kernel: 3, stride: 1, pad: 0, dictionary: { kind: 'file', path: '/data/W2.npy' } },
  ],
  pursuit: { algorithm: 'ml-fista', lambdas: [0.1, 0.05], iterations: 50 },
};

describe('contract schemas', () => {
  it('accepts a valid run configuration and fills defaults', () => {
    const c = RunConfig.parse(validConfig);
    expect(c.pursuit.tol).toBe(0);
    expect(c.source.kind === 'synthetic' && c.source.noise).toBe(0);
  });

  it.each([
    ['a λ count that does not match the layers', { ...validConfig, pursuit: { ...validConfig.pursuit, lambdas: [0.1] } }, /pursuit\.lambdas/],
    ['an unknown algorithm', { ...validConfig, pursuit: { ...validConfig.pursuit, algorithm: 'admm' } }, /pursuit\.algorithm/],
    ['a negative λ', { ...validConfig, pursuit: { ...validConfig.pursuit, lambdas: [-1, 0.1] } }, /pursuit\.lambdas\.0/],
    ['a fractional stride', { ...validConfig, layers: [{ ...validConfig.layers[0], stride: 1.5 }, validConfig.layers[1]] }, /layers\.0\.stride/],
    ['a missing data source', { ...validConfig, source: undefined }, /source/],
    ['an empty file path', { ...validConfig, source: { kind: 'file', path: '' } }, /source\.path/],
  ])('refuses %s, naming the field', (_, config, where) => {
    expect(() => parseParams('runs.start', { config })).toThrow(where);
    try {
      parseParams('runs.start', { config });
    } catch (err) {
      expect(err).toBeInstanceOf(StudioError);
      expect((err as StudioError).code).toBe('invalid-request');
    }
  });

  it('refuses unknown parameters and malformed ids', () => {
    expect(() => parseParams('runs.cancel', { runId: 'r1', extra: true })).toThrow(/extra|Unrecognized/i);
    expect(() => parseParams('runs.cancel', { runId: '../etc' })).toThrow(/runId/);
    expect(() => parseParams('files.list', { dir: 5 })).toThrow(/dir/);
  });

  it('checks tensors in events: the data must match the shape and be a Float32Array', () => {
    const ok = { runId: 'r1', atoms: [{ layer: 1, images: { dtype: 'float32', shape: [2, 3, 3], data: new Float32Array(18) } }] };
    expect(parseEvent('run.preview', ok).atoms[0]!.images.data).toBeInstanceOf(Float32Array);
    expect(() => parseEvent('run.preview', { ...ok, atoms: [{ layer: 1, images: { dtype: 'float32', shape: [2, 3, 3], data: new Float32Array(17) } }] })).toThrow(/does not match its shape/);
    expect(() => parseEvent('run.preview', { ...ok, atoms: [{ layer: 1, images: { dtype: 'float32', shape: [2], data: [0, 1] } }] })).toThrow(/Float32Array/);
  });

  it('names every operation and event once', () => {
    expect(Object.keys(OPERATIONS)).toContain('runs.start');
    expect(Object.keys(EVENTS)).toEqual(['run.progress', 'run.status', 'run.preview', 'engine.restarted', 'project.changed', 'phase.progress']);
  });
});

describe('dispatch', () => {
  const handlers: Partial<Handlers> = {
    'runs.cancel': async ({ runId }) => ({ cancelled: runId === 'r1' }),
    'runs.list': async () => [{ bogus: true }] as never,
  };

  it('validates the request and the result', async () => {
    expect(await dispatch(handlers, { kind: 'request', id: 7, op: 'runs.cancel', params: { runId: 'r1' } })).toEqual({ kind: 'response', id: 7, ok: true, result: { cancelled: true } });
    const bad = await dispatch(handlers, { kind: 'request', id: 8, op: 'runs.cancel', params: {} });
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    expect(await dispatch(handlers, { kind: 'request', id: 9, op: 'nope', params: {} })).toMatchObject({ ok: false, error: { code: 'invalid-request', message: /unknown operation/ } });
    expect(await dispatch(handlers, { kind: 'request', id: 10, op: 'runs.get', params: { runId: 'r1' } })).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(await dispatch(handlers, { kind: 'request', id: 11, op: 'runs.list', params: {} })).toMatchObject({ ok: false, error: { code: 'internal', message: /malformed result/ } });
    expect(await dispatch(handlers, { kind: 'nonsense' })).toBeUndefined();
  });
});

describe('WebSocket frame codec', () => {
  it('round-trips messages with typed arrays bit for bit', () => {
    const data = Float32Array.from({ length: 37 }, (_, i) => Math.sin(i) * 1e-3);
    const msg = { kind: 'event', event: 'run.preview', payload: { runId: 'r1', atoms: [{ layer: 1, images: { dtype: 'float32', shape: [37], data } }], extra: new Float64Array([Math.PI, -0]), ids: new Int32Array([1, -2]) } };
    const back = decodeFrame(encodeFrame(msg)) as typeof msg;
    const out = back.payload.atoms[0]!.images.data;
    expect(out).toBeInstanceOf(Float32Array);
    expect(Array.from(new Uint32Array(out.buffer))).toEqual(Array.from(new Uint32Array(data.buffer)));
    expect(back.payload.extra).toEqual(new Float64Array([Math.PI, -0]));
    expect(Object.is(back.payload.extra[1], -0)).toBe(true);
    expect(back.payload.ids).toEqual(new Int32Array([1, -2]));
  });

  it('refuses hostile frames', () => {
    expect(() => decodeFrame(new Uint8Array(2))).toThrow(FrameError);
    const lying = new Uint8Array(16);
    new DataView(lying.buffer).setUint32(0, 1000, true);
    expect(() => decodeFrame(lying)).toThrow(/longer than the frame/);
    const frame = encodeFrame({ a: new Float32Array(4) });
    const header = new TextEncoder().encode(JSON.stringify({ a: { $tensor: 0, type: 'Float32Array', offset: 0, length: 1e9 } }));
    const forged = new Uint8Array(frame.length + header.length);
    new DataView(forged.buffer).setUint32(0, header.length, true);
    forged.set(header, 4);
    expect(() => decodeFrame(forged)).toThrow(/past the end/);
    const evil = new TextEncoder().encode(JSON.stringify({ a: { $tensor: 0, type: 'Function', offset: 0, length: 1 } }));
    const f2 = new Uint8Array(8 + evil.length + 8);
    new DataView(f2.buffer).setUint32(0, evil.length, true);
    f2.set(evil, 4);
    expect(() => decodeFrame(f2)).toThrow(/unknown attachment type/);
  });
});

describe('RPC client', () => {
  function loopback(handlers: Partial<Handlers>) {
    let receive: (m: unknown) => void = () => undefined;
    const port: MessagePortLike = {
      send: (m: RequestMessage) => void dispatch(handlers, decodeFrame(encodeFrame(m))).then((r) => receive(decodeFrame(encodeFrame(r)))),
      onMessage: (cb) => ((receive = cb), () => undefined),
    };
    return { client: createRpcClient(port), emit: (m: unknown) => receive(m) };
  }

  it('calls operations, rejects with StudioError, and delivers validated events', async () => {
    const { client, emit } = loopback({ 'runs.cancel': async ({ runId }) => ({ cancelled: runId === 'r1' }) });
    await expect(client['runs.cancel']({ runId: 'r1' })).resolves.toEqual({ cancelled: true });
    await expect(client['runs.cancel']({ runId: '' })).rejects.toMatchObject({ code: 'invalid-request' });
    const got: string[] = [];
    const off = client.on('engine.restarted', (p) => got.push(p.reason));
    emit({ kind: 'event', event: 'engine.restarted', payload: { reason: 'killed', at: 'now' } });
    emit({ kind: 'event', event: 'engine.restarted', payload: { reason: 42 } });
    off();
    emit({ kind: 'event', event: 'engine.restarted', payload: { reason: 'after', at: 'now' } });
    expect(got).toEqual(['killed']);
  });
});

describe('file contents in the contract (uploads and exports)', () => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255]);

  it('carries an upload through a WebSocket frame bit for bit and validates it', () => {
    const frame = encodeFrame({ kind: 'request', id: 1, op: 'datasets.upload', params: { files: [{ name: 'a.png', bytes: png }] } });
    const back = decodeFrame(frame) as { params: unknown };
    const params = parseParams('datasets.upload', back.params);
    expect(params.files[0]!.bytes).toBeInstanceOf(Uint8Array);
    expect([...params.files[0]!.bytes]).toEqual([...png]);
    expect(params.preprocessing).toEqual([]);
  });

  it('carries a Node Buffer (a Uint8Array with its own toJSON) as bytes, not as JSON numbers', () => {
    // What Node's Buffer does (this layer has no Node types): a Uint8Array whose toJSON makes numbers of it.
    class BufferLike extends Uint8Array {
      toJSON() {
        return { type: 'Buffer', data: [...this] };
      }
    }
    const buffer = BufferLike.from([0x08, 0x07, 0x12, 0x00, 0xff]);
    const frame = encodeFrame({ kind: 'response', id: 2, ok: true, result: { name: 'net.onnx', mediaType: 'application/octet-stream', bytes: buffer } });
    const back = decodeFrame(frame) as { result: { bytes: unknown } };
    expect(back.result.bytes).toBeInstanceOf(Uint8Array);
    expect([...(back.result.bytes as Uint8Array)]).toEqual([...buffer]);
  });

  it.each([
    ['a name with a folder', 'sub/a.png'],
    ['a Windows path', 'C:\\data\\a.png'],
    ['a parent reference', '..'],
    ['an empty name', ''],
  ])('refuses an uploaded file with %s', (_, name) => {
    expect(() => parseParams('datasets.upload', { files: [{ name, bytes: png }] })).toThrow(/files\.0\.name/);
  });

  it('refuses an upload whose contents are not bytes, and an empty upload', () => {
    expect(() => parseParams('datasets.upload', { files: [{ name: 'a.png', bytes: [1, 2, 3] }] })).toThrow(/Uint8Array/);
    expect(() => parseParams('datasets.upload', { files: [] })).toThrow(/files/);
  });

  it('refuses an export of an array whose name is not a plain file stem', () => {
    expect(() => parseParams('runs.export', { runId: 'r1', format: 'npy', array: '../W1' })).toThrow(/array/);
    expect(() => parseParams('runs.export', { runId: 'r1', format: 'pdf' })).toThrow(/format/);
    expect(parseParams('runs.export', { runId: 'r1', format: 'npz' })).toEqual({ runId: 'r1', format: 'npz' });
  });

  it('accepts a data set of the project as the data of a learning session, train split by default', () => {
    const p = parseParams('sessions.start', { config: { method: 'ksvd', data: { kind: 'dataset', id: 'd20260101-000000-abcdef' }, iterations: 3 } });
    expect(p.config.data).toEqual({ kind: 'dataset', id: 'd20260101-000000-abcdef', split: 'train' });
    expect(() => parseParams('sessions.start', { config: { method: 'ksvd', data: { kind: 'dataset', id: '../x' }, iterations: 3 } })).toThrow(/data\.id/);
  });

  it('accepts an item of a data set as a run\'s source, item 0 of the train split by default, and refuses a bad index or id', () => {
    const id = 'd20260101-000000-abcdef';
    const p = parseParams('runs.start', { config: { ...validConfig, source: { kind: 'dataset', id } } });
    expect(p.config.source).toEqual({ kind: 'dataset', id, split: 'train', index: 0 });
    expect(parseParams('runs.start', { config: { ...validConfig, source: { kind: 'dataset', id, split: 'test', index: 7 } } }).config.source).toEqual({ kind: 'dataset', id, split: 'test', index: 7 });
    expect(() => parseParams('runs.start', { config: { ...validConfig, source: { kind: 'dataset', id, index: -1 } } })).toThrow(/source\.index/);
    expect(() => parseParams('runs.start', { config: { ...validConfig, source: { kind: 'dataset', id, index: 1.5 } } })).toThrow(/source\.index/);
    expect(() => parseParams('runs.start', { config: { ...validConfig, source: { kind: 'dataset', id, split: 'validation' } } })).toThrow(/source\.split/);
    expect(() => parseParams('runs.start', { config: { ...validConfig, source: { kind: 'dataset', id: '../x' } } })).toThrow(/source\.id/);
  });
});
