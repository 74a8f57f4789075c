/**
 * The CLI as a user runs it: from a folder of their own, not the app's. The engine child process must find
 * its TypeScript loader from the app's install, not from the current directory.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/sparseland.mjs', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'sparseland-cwd-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the CLI run from a folder outside the app', () => {
  it('starts its engine and finishes a learning session into a project there', () => {
    writeFileSync(
      path.join(work, 'session.json'),
      JSON.stringify({ method: 'ksvd', data: { kind: 'sample', name: 'camera', downsample: 8 }, params: { atoms: 16, sparsity: 2, trainingPatches: 200 }, iterations: 2 }),
    );
    const r = spawnSync(process.execPath, [bin, 'train', '--config', 'session.json', '--project', 'study', '--json'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; status: string };
    expect(out.status).toBe('finished');
    const status = JSON.parse(readFileSync(path.join(work, 'study', 'runs', out.id, 'status.json'), 'utf8')) as { status: string; iterations: number };
    expect(status).toMatchObject({ status: 'finished', iterations: 2 });
  }, 60_000);
});
