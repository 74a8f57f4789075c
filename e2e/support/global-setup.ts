/**
 * Builds the app (`npx electron-vite build` → out/main, out/preload, out/renderer) when a build output is
 * missing or older than the newest source file, so `npx playwright test` works on a fresh clone and never
 * tests a stale renderer. The build needs no Electron binary and takes a few seconds.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What the build produces; the oldest of them must be newer than every source. */
const OUTPUTS = ['out/renderer/index.html', 'out/main/index.js', 'out/preload/index.cjs'];
/** What the build reads. Tests (*.test.ts) are not bundled and do not count. */
const SOURCES = ['src-renderer', 'src-shared', 'src-main', 'electron.vite.config.ts', 'package.json'];

function newestSource(p: string): number {
  const abs = path.join(root, p);
  if (!existsSync(abs)) return 0;
  const st = statSync(abs);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(abs, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    if (entry.isFile() && /\.test\.ts$/.test(entry.name)) continue;
    newest = Math.max(newest, newestSource(path.join(p, entry.name)));
  }
  return newest;
}

export function buildReason(): string | undefined {
  const missing = OUTPUTS.filter((o) => !existsSync(path.join(root, o)));
  if (missing.length) return `${missing.join(', ')} missing`;
  const built = Math.min(...OUTPUTS.map((o) => statSync(path.join(root, o)).mtimeMs));
  const source = Math.max(...SOURCES.map(newestSource));
  return source > built ? 'sources are newer than the build' : undefined;
}

export default function globalSetup(): void {
  const reason = buildReason();
  if (!reason) return;
  console.log(`[e2e] building the app (${reason}): npx electron-vite build`);
  const started = Date.now();
  const r = spawnSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], shell: process.platform === 'win32' });
  if (r.status !== 0) throw new Error(`npx electron-vite build failed (exit ${r.status ?? r.signal}); the e2e tests need out/renderer`);
  console.log(`[e2e] built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
