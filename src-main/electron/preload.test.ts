/**
 * The preload against a stand-in for Electron's contextBridge and ipcRenderer: what the page gets, what goes
 * over IPC, and how answers, failures and events come back.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENTS, OPERATIONS } from '../../src-shared/contract/schemas';
import type { SparselandBridge } from './bridge';

const electron = vi.hoisted(() => {
  const listeners = new Map<string, (event: unknown, message: unknown) => void>();
  return {
    exposed: new Map<string, unknown>(),
    listeners,
    invoke: vi.fn<(channel: string, message: unknown) => Promise<unknown>>(),
    getPathForFile: vi.fn<(file: unknown) => string>(),
    emit(channel: string, message: unknown) {
      listeners.get(channel)?.({}, message);
    },
  };
});

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => electron.exposed.set(key, api) },
  ipcRenderer: {
    invoke: electron.invoke,
    on: (channel: string, listener: (event: unknown, message: unknown) => void) => electron.listeners.set(channel, listener),
  },
  webUtils: { getPathForFile: electron.getPathForFile },
}));

let api: SparselandBridge & { pathForFile(file: unknown): string };

beforeAll(async () => {
  await import('./preload');
  api = electron.exposed.get('sparseland') as typeof api;
});

beforeEach(() => {
  electron.invoke.mockReset();
});

describe('preload', () => {
  it('exposes one method per operation, on, onMenuCommand and pathForFile, and nothing else', () => {
    expect([...electron.exposed.keys()]).toEqual(['sparseland']);
    expect(Object.keys(api).sort()).toEqual([...Object.keys(OPERATIONS), 'on', 'onMenuCommand', 'pathForFile'].sort());
    for (const key of Object.keys(api)) expect(typeof (api as unknown as Record<string, unknown>)[key]).toBe('function');
    expect(electron.listeners.size).toBe(2);
  });

  it('sends a contract request on studio:call and resolves with the result', async () => {
    electron.invoke.mockImplementation(async (_channel, message) => ({ kind: 'response', id: (message as { id: number }).id, ok: true, result: { runId: 'r1' } }));
    const config = { source: { kind: 'synthetic' }, layers: [], pursuit: {} } as never;
    await expect(api['runs.start']({ config })).resolves.toEqual({ runId: 'r1' });
    const [channel, message] = electron.invoke.mock.calls[0]!;
    expect(channel).toBe('studio:call');
    expect(message).toEqual({ kind: 'request', id: expect.any(Number), op: 'runs.start', params: { config } });
  });

  it('sends {} for an operation called without parameters and uses a fresh id each time', async () => {
    electron.invoke.mockImplementation(async (_c, m) => ({ kind: 'response', id: (m as { id: number }).id, ok: true, result: [] }));
    await api['runs.list'](undefined as never);
    await api['runs.list']({});
    const [a, b] = electron.invoke.mock.calls.map(([, m]) => m as { id: number; params: unknown });
    expect(a!.params).toEqual({});
    expect(b!.id).toBeGreaterThan(a!.id);
  });

  it('rejects with the StudioError code, message and where of a failed call', async () => {
    electron.invoke.mockImplementation(async (_c, m) => ({ kind: 'response', id: (m as { id: number }).id, ok: false, error: { code: 'no-project', message: 'no project is open', where: 'runs.list' } }));
    const err = await api['runs.list']({}).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StudioError', code: 'no-project', message: 'no project is open', where: 'runs.list' });
    expect(String(err)).toBe('StudioError [no-project]: no project is open');
  });

  it('turns a refused or failed invoke into an "unavailable" error naming the operation', async () => {
    electron.invoke.mockRejectedValue(new Error('refused: this channel serves only the app window'));
    await expect(api['app.info']({})).rejects.toMatchObject({ code: 'unavailable', where: 'app.info', message: expect.stringContaining('refused') });
  });

  it('refuses a malformed or mismatched response', async () => {
    electron.invoke.mockResolvedValue({ kind: 'response', id: 999_999, ok: true, result: 1 });
    await expect(api['app.info']({})).rejects.toMatchObject({ code: 'internal' });
    electron.invoke.mockResolvedValue(undefined);
    await expect(api['app.info']({})).rejects.toMatchObject({ code: 'internal' });
  });

  it('delivers known events to their handlers until unsubscribed', () => {
    const progress = vi.fn();
    const status = vi.fn();
    const off = api.on('run.progress', progress);
    api.on('run.status', status);
    electron.emit('studio:event', { event: 'run.progress', payload: { runId: 'r1' } });
    expect(progress).toHaveBeenCalledWith({ runId: 'r1' });
    expect(status).not.toHaveBeenCalled();
    off();
    electron.emit('studio:event', { event: 'run.progress', payload: { runId: 'r1' } });
    expect(progress).toHaveBeenCalledOnce();
  });

  it('keeps delivering when one handler throws, and ignores unknown or malformed events', () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const bad = vi.fn(() => {
      throw new Error('boom');
    });
    const good = vi.fn();
    api.on('engine.restarted', bad);
    api.on('engine.restarted', good);
    electron.emit('studio:event', { event: 'engine.restarted', payload: { reason: 'x', at: 'now' } });
    expect(good).toHaveBeenCalledOnce();
    electron.emit('studio:event', { event: 'no.such.event', payload: {} });
    electron.emit('studio:event', null);
    electron.emit('studio:event', 'engine.restarted');
    expect(good).toHaveBeenCalledOnce();
    consoleError.mockRestore();
  });

  it('accepts only the contract’s event names in on()', () => {
    expect(() => api.on('ipc' as never, () => undefined)).toThrow(/unknown event "ipc"/);
    expect(() => api.on('run.status', 'not a function' as never)).toThrow(TypeError);
    for (const name of Object.keys(EVENTS)) expect(() => api.on(name as never, () => undefined)()).not.toThrow();
  });

  it('passes valid menu commands to onMenuCommand handlers and drops anything else', () => {
    const handler = vi.fn();
    const off = api.onMenuCommand(handler);
    electron.emit('studio:menu', { command: 'project.openRecent', dir: '/data/p' });
    electron.emit('studio:menu', { command: 'rm -rf' });
    electron.emit('studio:menu', { command: 'theme.toggle', extra: true });
    expect(handler.mock.calls).toEqual([[{ command: 'project.openRecent', dir: '/data/p' }]]);
    off();
    electron.emit('studio:menu', { command: 'theme.toggle' });
    expect(handler).toHaveBeenCalledOnce();
  });

  it('gives the path of a dropped file through webUtils.getPathForFile, and refuses what is not an object', () => {
    const file = { name: 'digits.npy' };
    electron.getPathForFile.mockImplementation((f) => (f === file ? '/data/digits.npy' : ''));
    expect(api.pathForFile(file)).toBe('/data/digits.npy');
    expect(electron.getPathForFile).toHaveBeenCalledWith(file);
    expect(api.pathForFile({ name: 'made in the page' })).toBe('');
    expect(() => api.pathForFile('/etc/passwd')).toThrow(TypeError);
    expect(() => api.pathForFile(null)).toThrow(TypeError);
    expect(electron.getPathForFile).toHaveBeenCalledTimes(2);
  });
});
