/** The utility-process engine channel against a stand-in for Electron's utilityProcess. */
import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';

class FakeChild extends EventEmitter {
  pid: number | undefined = 4242;
  posted: unknown[] = [];
  killed = 0;
  postMessage(m: unknown) {
    this.posted.push(m);
  }
  kill() {
    this.killed++;
    return true;
  }
}

const fake = vi.hoisted(() => ({ children: [] as unknown[], forks: [] as unknown[][] }));

vi.mock('electron', () => ({
  utilityProcess: {
    fork: (...args: unknown[]) => {
      fake.forks.push(args);
      const child = new FakeChild();
      fake.children.push(child);
      return child;
    },
  },
}));

const { utilityEngineChannelFactory } = await import('./engine-process');

beforeEach(() => {
  fake.children.length = 0;
  fake.forks.length = 0;
});

describe('utility-process engine channel', () => {
  it('forks the given worker as a named utility process', () => {
    utilityEngineChannelFactory('/app/out/main/engine-worker.js')();
    expect(fake.forks[0]).toEqual(['/app/out/main/engine-worker.js', [], expect.objectContaining({ serviceName: 'Sparseland Engine' })]);
  });

  it('holds messages until the process has spawned, then sends them in order', () => {
    const channel = utilityEngineChannelFactory('/w.js')();
    const child = fake.children[0] as FakeChild;
    channel.send({ type: 'info', requestId: 1 });
    channel.send({ type: 'cancel', jobId: 'a' });
    expect(child.posted).toEqual([]);
    child.emit('spawn');
    channel.send({ type: 'info', requestId: 2 });
    expect(child.posted).toEqual([{ type: 'info', requestId: 1 }, { type: 'cancel', jobId: 'a' }, { type: 'info', requestId: 2 }]);
  });

  it('passes messages up and reports the exit, also to a listener added after it', async () => {
    const channel = utilityEngineChannelFactory('/w.js')();
    const child = fake.children[0] as FakeChild;
    const received = vi.fn();
    const early = vi.fn();
    channel.onMessage(received);
    channel.onExit(early);
    child.emit('message', { type: 'ready', pid: 4242 });
    expect(received).toHaveBeenCalledWith({ type: 'ready', pid: 4242 });
    child.emit('exit', 134);
    expect(early).toHaveBeenCalledWith({ code: 134, signal: null });
    const late = vi.fn();
    channel.onExit(late);
    await Promise.resolve();
    expect(late).toHaveBeenCalledWith({ code: 134, signal: null });
    expect(() => channel.send({ type: 'info', requestId: 3 })).toThrow(/exited/);
    channel.kill();
    expect(child.killed).toBe(0);
  });

  it('kills a live process', () => {
    const channel = utilityEngineChannelFactory('/w.js')();
    channel.kill();
    expect((fake.children[0] as FakeChild).killed).toBe(1);
    expect(channel.pid).toBe(4242);
  });
});
