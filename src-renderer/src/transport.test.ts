import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeFrame, encodeFrame, float32Tensor } from '../../src-shared/contract';
import { TOKEN_KEY } from './lib/token';
import { connect, ConnectionError } from './transport';

/** Just enough of a browser WebSocket: listeners, send, and hooks for the test to play the server. */
class FakeSocket {
  static OPEN = 1;
  static last: FakeSocket | undefined;
  readyState = 0;
  binaryType = 'blob';
  sent: Uint8Array[] = [];
  private listeners = new Map<string, ((ev: unknown) => void)[]>();
  constructor(readonly url: string) {
    FakeSocket.last = this;
  }
  addEventListener(type: string, fn: (ev: unknown) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  removeEventListener(type: string, fn: (ev: unknown) => void) {
    this.listeners.set(type, (this.listeners.get(type) ?? []).filter((f) => f !== fn));
  }
  send(data: Uint8Array) {
    this.sent.push(data);
  }
  close() {}
  fire(type: string, ev: unknown = {}) {
    if (type === 'open') this.readyState = 1;
    if (type === 'close') this.readyState = 3;
    for (const fn of this.listeners.get(type) ?? []) fn(ev);
  }
}

function fakeWindow(href: string) {
  const session = new Map<string, string>();
  const url = new URL(href);
  const w = {
    location: { href, protocol: url.protocol, host: url.host },
    sessionStorage: { getItem: (k: string) => session.get(k) ?? null, setItem: (k: string, v: string) => void session.set(k, v) },
    history: { state: null, replaceState: vi.fn((_s: unknown, _t: string, u: string) => void (w.location.href = u)) },
  };
  return { w, session };
}

function install(href: string) {
  const env = fakeWindow(href);
  vi.stubGlobal('window', env.w);
  vi.stubGlobal('WebSocket', FakeSocket);
  return env;
}

afterEach(() => {
  vi.unstubAllGlobals();
  FakeSocket.last = undefined;
});

describe('connect (browser)', () => {
  it('uses the preload client when the desktop app provides one', async () => {
    const client = { marker: true };
    vi.stubGlobal('window', { sparseland: client });
    expect(await connect()).toBe(client);
  });

  it('opens ws://host/ws with the URL token, keeps it for reloads and strips it from the address bar', async () => {
    const { w, session } = install('http://127.0.0.1:8765/?token=abc123');
    const pending = connect();
    const socket = FakeSocket.last!;
    expect(socket.url).toBe('ws://127.0.0.1:8765/ws?token=abc123');
    expect(socket.binaryType).toBe('arraybuffer');
    expect(session.get(TOKEN_KEY)).toBe('abc123');
    expect(w.history.replaceState).toHaveBeenCalledWith(null, '', 'http://127.0.0.1:8765/');
    socket.fire('open');
    await pending;
  });

  it('speaks the contract in binary frames, tensors included', async () => {
    install('http://h/?token=t');
    const pending = connect();
    const socket = FakeSocket.last!;
    socket.fire('open');
    const client = await pending;
    const events: unknown[] = [];
    client.on('run.preview', (p) => events.push(p));
    const answer = client['runs.cancel']({ runId: 'r1' });
    const request = decodeFrame(socket.sent[0]!) as { kind: string; id: number; op: string; params: unknown };
    expect(request).toMatchObject({ kind: 'request', op: 'runs.cancel', params: { runId: 'r1' } });
    const reply = (m: unknown) => socket.fire('message', { data: encodeFrame(m).slice().buffer });
    reply({ kind: 'response', id: request.id, ok: true, result: { cancelled: true } });
    expect(await answer).toEqual({ cancelled: true });
    reply({ kind: 'event', event: 'run.preview', payload: { runId: 'r1', atoms: [{ layer: 1, images: float32Tensor([1, 2, 2], new Float32Array([1, 2, 3, 4])) }] } });
    expect(events).toHaveLength(1);
    expect((events[0] as { atoms: { images: { data: Float32Array } }[] }).atoms[0]!.images.data).toEqual(new Float32Array([1, 2, 3, 4]));
  });

  it('says the token is missing when the server refuses a page without one', async () => {
    install('http://h/');
    const pending = connect();
    FakeSocket.last!.fire('error');
    FakeSocket.last!.fire('close', { code: 1006, reason: '', wasClean: false });
    await expect(pending).rejects.toMatchObject({ problem: 'no-token' });
    await expect(pending).rejects.toBeInstanceOf(ConnectionError);
  });

  it('says the token may be wrong when the server refuses one, and reports a later close', async () => {
    install('http://h/?token=wrong');
    const refused = connect();
    FakeSocket.last!.fire('close', { code: 1006, reason: '', wasClean: false });
    await expect(refused).rejects.toMatchObject({ problem: 'refused' });

    install('http://h/?token=ok');
    const onClose = vi.fn();
    const pending = connect({ onClose });
    const socket = FakeSocket.last!;
    socket.fire('open');
    const client = await pending;
    const call = client['app.info']({});
    socket.fire('close', { code: 1001, reason: 'server stopping', wasClean: true });
    await expect(call).rejects.toMatchObject({ code: 'unavailable' });
    expect(onClose).toHaveBeenCalledWith(expect.objectContaining({ problem: 'closed', message: expect.stringContaining('server stopping') }));
  });
});
