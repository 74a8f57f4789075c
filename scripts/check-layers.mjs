// The layer rules of docs/architecture.md, checked on every import specifier in the source tree:
// src-shared imports neither Node, DOM-only packages, Electron nor the engine; the engine never imports
// Electron, the host, the server, the CLI or the renderer; the renderer reaches the engine only through the
// contract in src-shared.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const NODE_BUILTINS = /^(node:|fs$|fs\/|path$|os$|child_process$|crypto$|net$|http$|https$|worker_threads$|url$|stream$|events$|util$|zlib$|buffer$)/;

const rules = [
  { dir: 'src-shared', forbid: (spec, abs) => NODE_BUILTINS.test(spec) || /^(electron|onnxruntime-node|vue|pinia|echarts|ws)$/.test(spec) || (abs && !abs.startsWith(path.join(root, 'src-shared'))), why: 'src-shared may import only src-shared and pure libraries' },
  { dir: 'src-main/engine', forbid: (spec, abs) => spec === 'electron' || /^(vue|pinia|echarts)$/.test(spec) || (abs && /src-main\/(host|server|cli|electron)\/|src-renderer\//.test(abs)), why: 'the engine may not import Electron, the host, the server, the CLI or the renderer' },
  { dir: 'src-renderer', forbid: (spec, abs) => NODE_BUILTINS.test(spec) || /^(electron|onnxruntime-node|ws)$/.test(spec) || (abs && abs.includes(`${path.sep}src-main${path.sep}`)), why: 'the renderer may import only src-shared and browser libraries' },
];

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(p).isDirectory()) yield* files(p);
    else if (/\.(ts|mts|vue)$/.test(name) && !name.endsWith('.d.ts')) yield p;
  }
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
const problems = [];
for (const rule of rules) {
  const dir = path.join(root, rule.dir);
  try {
    statSync(dir);
  } catch {
    continue;
  }
  for (const file of files(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      const abs = spec.startsWith('.') ? path.resolve(path.dirname(file), spec) : undefined;
      if (rule.forbid(spec, abs)) problems.push(`${path.relative(root, file)}: imports "${spec}" (${rule.why})`);
    }
  }
}
if (problems.length) {
  console.error(`Layer rules broken:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('layer rules: ok');
