// Fetches the binaries that npm's install scripts were told to skip (see "allowScripts" in package.json):
// the Electron binary and onnxruntime-node's CUDA provider. Offline, each attempt fails with one line and
// the install still succeeds, because the headless browser mode and the CPU/WebGPU providers need neither.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function tryScript(label, packageName, script, env) {
  let dir;
  try {
    dir = path.dirname(require.resolve(`${packageName}/package.json`));
  } catch {
    console.warn(`[postinstall] ${label}: package ${packageName} not installed, skipped.`);
    return;
  }
  const file = path.join(dir, script);
  if (!existsSync(file)) return;
  // Run it as npm would run the package's own install script: with that package's manifest, so scripts that
  // skip themselves for "local" installs (onnxruntime-node does) see a dependency install.
  const result = spawnSync(process.execPath, [file], {
    cwd: dir,
    env: { ...process.env, npm_package_json: path.join(dir, 'package.json'), npm_lifecycle_event: 'install', ...env },
    stdio: 'pipe',
    timeout: 300_000,
  });
  if (result.status === 0) console.log(`[postinstall] ${label}: ready.`);
  else console.warn(`[postinstall] ${label}: not available (${firstLine(result)}); continuing without it.`);
}

function firstLine(result) {
  const lines = `${result.stderr ?? ''}${result.stdout ?? ''}`.split('\n').map((l) => l.trim()).filter(Boolean);
  // Node prints its own frame lines before an uncaught error; the line naming the error is the useful one.
  const text = lines.find((l) => /Error\b|ENOTFOUND|ECONN|ETIMEDOUT|failed/i.test(l)) ?? lines[0] ?? `exit ${result.status}`;
  return text.slice(0, 160);
}

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD === '1') {
  console.log('[postinstall] Electron binary: skipped (ELECTRON_SKIP_BINARY_DOWNLOAD=1); `npm start` will use headless mode.');
} else {
  tryScript('Electron binary', 'electron', 'install.js', {});
}
if (process.env.ONNXRUNTIME_NODE_INSTALL === 'skip' || process.env.npm_config_onnxruntime_node_install === 'skip') {
  console.log('[postinstall] ONNX Runtime CUDA provider: skipped (ONNXRUNTIME_NODE_INSTALL=skip); CPU and WebGPU remain.');
} else {
  tryScript('ONNX Runtime CUDA provider', 'onnxruntime-node', 'script/install.js', {});
}
