// `npm start`: opens the desktop app where the Electron binary is installed; otherwise serves the same
// workbench headless in the browser (the Electron binary cannot be downloaded on offline machines).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);

function electronBinary() {
  try {
    const p = require('electron');
    return typeof p === 'string' && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

function newestMtime(dir) {
  let newest = 0;
  const walk = (d) => {
    for (const name of require('node:fs').readdirSync(d)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = path.join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else newest = Math.max(newest, s.mtimeMs);
    }
  };
  for (const d of dir) if (existsSync(d)) walk(d);
  return newest;
}

function buildIfStale() {
  const built = path.join(root, 'out/renderer/index.html');
  const sources = newestMtime(['src-renderer', 'src-shared', 'src-main'].map((d) => path.join(root, d)));
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  console.log('Building the workbench (electron-vite build)…');
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function run(cmd, cmdArgs) {
  const child = spawn(cmd, cmdArgs, { cwd: root, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
}

buildIfStale();
const electron = electronBinary();
if (electron && process.env.SPARSELAND_HEADLESS !== '1') {
  console.log('Starting the Sparseland Studio desktop app.');
  run(electron, ['.', ...args]);
} else {
  console.log(
    electron
      ? 'SPARSELAND_HEADLESS=1: starting headless mode.'
      : 'The Electron binary is not installed here (offline install), so Sparseland Studio starts in headless mode: open the URL below in a browser.',
  );
  run(process.execPath, [path.join(root, 'bin/sparseland.mjs'), 'serve', ...args]);
}
