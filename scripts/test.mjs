// `npm test`: type-checks every layer, checks the layer rules, runs the unit tests (vitest) and the browser
// tests (Playwright in Debian's Chromium), then prints one summary line `N passed, N failed[, N skipped]`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const reports = path.join(root, 'test-results');
mkdirSync(reports, { recursive: true });
let passed = 0;
let failed = 0;
let skipped = 0;

function step(label, cmd, args, env = {}) {
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

function check(label, ok) {
  if (ok) passed++;
  else {
    failed++;
    console.log(`FAILED: ${label}`);
  }
}

const typechecks = [
  ['src-shared', ['tsc', '--noEmit', '-p', 'src-shared']],
  ['src-main/engine', ['tsc', '--noEmit', '-p', 'src-main/engine']],
  ['src-main', ['tsc', '--noEmit', '-p', 'src-main']],
  ['src-main/electron', ['tsc', '--noEmit', '-p', 'src-main/electron']],
  ['src-renderer', ['vue-tsc', '--noEmit', '-p', 'src-renderer']],
  ['e2e', ['tsc', '--noEmit', '-p', 'e2e']],
];
for (const [layer, args] of typechecks) {
  if (!existsSync(path.join(root, layer, 'tsconfig.json'))) continue;
  check(`typecheck ${layer}`, step(`typecheck ${layer}`, 'npx', args));
}
check('layer rules', step('layer rules', 'node', ['scripts/check-layers.mjs']));

// The packaging test inspects the built bundles, and the browser tests serve them: build once, first.
check('build (electron-vite)', step('build', 'npx', ['electron-vite', 'build']));

const vitestJson = path.join(reports, 'vitest.json');
step('unit tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${vitestJson}`]);
if (existsSync(vitestJson)) {
  const v = JSON.parse(readFileSync(vitestJson, 'utf8'));
  passed += v.numPassedTests ?? 0;
  failed += (v.numFailedTests ?? 0) + (v.numFailedTestSuites ?? 0);
  skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
} else check('vitest produced no report', false);

if (existsSync(path.join(root, 'playwright.config.ts')) && process.env.SKIP_E2E !== '1') {
  const e2eJson = path.join(reports, 'e2e.json');
  step('browser tests', 'npx', ['playwright', 'test'], { PLAYWRIGHT_JSON_OUTPUT_NAME: e2eJson });
  if (existsSync(e2eJson)) {
    const s = JSON.parse(readFileSync(e2eJson, 'utf8')).stats ?? {};
    passed += (s.expected ?? 0) + (s.flaky ?? 0);
    failed += s.unexpected ?? 0;
    skipped += s.skipped ?? 0;
  } else check('playwright produced no report', false);
}

const summary = `${passed} passed, ${failed} failed, ${skipped} skipped`;
writeFileSync(path.join(reports, 'summary.txt'), `${summary}\n`);
console.log(`\n${summary}`);
process.exit(failed === 0 ? 0 : 1);
