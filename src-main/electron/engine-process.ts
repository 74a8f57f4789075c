/**
 * The engine process of the desktop app: an Electron utility process (a Node process that Electron starts,
 * supervises and sandboxes from the renderer) running the bundled engine worker. Implements the host's
 * EngineChannel, so the host's supervisor restarts it after a crash exactly as it does the Node child
 * process of headless mode. A plain child_process.fork would need ELECTRON_RUN_AS_NODE, which the packaged
 * app turns off (electron-builder.yml, electronFuses.runAsNode).
 */
import { utilityProcess } from 'electron';
import type { EngineChannel, EngineChannelFactory, EngineExit } from '../host/engine-process';
import type { HostToWorker } from '../host/protocol';

export function utilityEngineChannelFactory(workerPath: string): EngineChannelFactory {
  return () => utilityEngineChannel(workerPath);
}

function utilityEngineChannel(workerPath: string): EngineChannel {
  const child = utilityProcess.fork(workerPath, [], { serviceName: 'Sparseland Engine', stdio: 'inherit' });
  let spawned = false;
  let exit: EngineExit | undefined;
  // Messages sent before the process is up are held and sent in order once it is.
  const pending: HostToWorker[] = [];
  const exitListeners: ((exit: EngineExit) => void)[] = [];

  child.once('spawn', () => {
    spawned = true;
    for (const m of pending.splice(0)) child.postMessage(m);
  });
  child.on('error', (type, location) => {
    // A fatal V8 error (e.g. out of memory); 'exit' follows and the supervisor reports it on the runs.
    console.error(`sparseland: the engine process hit a fatal error (${type}) at ${location}`);
  });
  child.on('exit', (code) => {
    exit = { code, signal: null };
    pending.length = 0;
    for (const listener of exitListeners.splice(0)) listener(exit);
  });

  return {
    send(message) {
      if (exit) throw new Error('the engine process has exited');
      if (spawned) child.postMessage(message);
      else pending.push(message);
    },
    onMessage(receive) {
      child.on('message', receive);
    },
    onExit(exited) {
      // Registered after the process already ended (a dispose right after a crash): answer at once.
      if (exit) queueMicrotask(() => exited(exit!));
      else exitListeners.push(exited);
    },
    kill() {
      if (!exit) child.kill();
    },
    get pid() {
      return child.pid;
    },
  };
}
