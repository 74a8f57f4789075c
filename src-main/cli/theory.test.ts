import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhaseResult } from '../../src-shared/contract';
import { readNpzFile, writeNpyFile } from '../engine/io';
import { filterCoherence } from '../engine/theory/coherence';
import { denseSynthesisMatrix } from '../engine/theory/conv-matrix';
import { parseIntegerList } from './commands/theory';
import { runCli } from './test-support';

let dir: string;
const f = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sparseland-cli-theory-'));
  writeFileSync(
    f('mlcsc.json'),
    JSON.stringify({
      model: { kind: 'convolutional', dims: '1d', size: 60, layers: [{ filters: 2, kernel: 9, stride: 1, targetCoherence: 0.3 }, { filters: 3, kernel: 4, stride: 2, nonzeros: 2, values: 'sign' }] },
      sampling: { sparsity: 1, values: { valueRange: [0.5, 1] }, noise: { kind: 'patch', value: 0.05 } },
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runCli;

describe('sparseland synth', () => {
  it('writes x, y, gamma1…K and W1…K with X = D1Γ1 and Γ1 = D2Γ2 exactly, reproducibly', async () => {
    const r = await run('synth', '--layers', f('mlcsc.json'), '--count', '3', '--seed', '11', '--out', f('data.npz'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.count).toBe(3);
    expect(json.noise.patch).toBeCloseTo(0.05, 10);
    const npz = await readNpzFile(f('data.npz'));
    expect([...npz.keys()].sort()).toEqual(['W1', 'W2', 'gamma1', 'gamma2', 'x', 'y']);
    const x = npz.get('x')!;
    const g1 = npz.get('gamma1')!;
    const g2 = npz.get('gamma2')!;
    expect(x.shape).toEqual([3, 1, 1, 60]);
    expect(g1.shape).toEqual([3, 2, 1, 52]);
    expect(g2.shape).toEqual([3, 3, 1, 25]);
    const W = (name: string) => ({ shape: npz.get(name)!.shape, data: npz.get(name)!.data as Float32Array });
    const D1 = denseSynthesisMatrix({ weights: W('W1'), stride: 1, pad: 0 }, [1, 1, 60]);
    const D2 = denseSynthesisMatrix({ weights: W('W2'), stride: 2, pad: 0 }, [2, 1, 52]);
    const apply = (D: typeof D1, v: Float64Array) => {
      const out = new Float64Array(D.rows);
      for (let j = 0; j < D.cols; j++) for (let i = 0; i < D.rows; i++) out[i] += D.data[j * D.rows + i]! * v[j]!;
      return out;
    };
    for (let b = 0; b < 3; b++) {
      const gamma2 = (g2.data as Float64Array).subarray(b * 75, (b + 1) * 75);
      const gamma1 = (g1.data as Float64Array).subarray(b * 104, (b + 1) * 104);
      const signal = (x.data as Float64Array).subarray(b * 60, (b + 1) * 60);
      apply(D2, gamma2).forEach((v, j) => expect(v).toBeCloseTo(gamma1[j]!, 12));
      apply(D1, gamma1).forEach((v, j) => expect(v).toBeCloseTo(signal[j]!, 12));
    }
    const again = await run('synth', '--layers', f('mlcsc.json'), '--count', '3', '--seed', '11', '--out', f('again.npz'), '--json');
    expect(again.code).toBe(0);
    expect(readFileSync(f('again.npz'))).toEqual(readFileSync(f('data.npz')));
  });

  it('names what is wrong in a bad spec', async () => {
    writeFileSync(f('bad.json'), JSON.stringify({ kind: 'convolutional', size: 60, layers: [{ filters: 0, kernel: 9, stride: 1 }] }));
    const r = await run('synth', '--layers', f('bad.json'), '--out', f('bad.npz'), '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toMatch(/layers\.0\.filters/);
  });
});

describe('sparseland theory', () => {
  it('reports μ per layer, the Welch bound and the limits, and with --codes the measured norms', async () => {
    await run('synth', '--layers', f('mlcsc.json'), '--count', '2', '--seed', '3', '--out', f('truth.npz'));
    const npz = await readNpzFile(f('truth.npz'));
    for (const name of ['W1', 'W2']) await writeNpyFile(f(`${name}.npy`), npz.get(name)!);
    const r = await run('theory', '--dict', `${f('W1.npy')},${f('W2.npy')}`, '--stride', '1,2', '--codes', f('truth.npz'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    const mu1 = filterCoherence({ weights: { shape: npz.get('W1')!.shape, data: npz.get('W1')!.data as Float32Array }, stride: 1 }).mu;
    expect(json.dictionaries[0].mu).toBeCloseTo(mu1, 12);
    expect(json.dictionaries[0].welch).toBeLessThanOrEqual(json.dictionaries[0].mu);
    expect(json.dictionaries[0].bounds.pursuitSuccess).toBeCloseTo(0.5 * (1 + 1 / mu1), 12);
    expect(json.codes.count).toBe(2);
    expect(json.codes.noisePatch).toBeCloseTo(0.05, 6);
    expect(json.codes.layers[1].stripe).toBe(1);
    expect(json.layeredThresholding.layers).toHaveLength(2);
    expect(json.layeredBp.layers[1].epsilon).toBeGreaterThan(json.layeredBp.layers[0].epsilon);
  });
});

describe('sparseland phase', () => {
  it('prints the success-rate grid as JSON', async () => {
    const r = await run('phase', '--model', 'csc', '--config', writeConfig(), '--pursuits', 'omp,layered-thr', '--sparsities', '1,4', '--trials', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(PhaseResult.safeParse(json).success).toBe(true);
    expect(json.success).toHaveLength(2);
    expect(json.success[0][0]).toHaveLength(2);
    expect(json.cellsDone).toBe(2);
    expect(json.success[0][0][0]).toBe(1);
  });

  it('refuses an unknown model or pursuit', async () => {
    expect((await run('phase', '--model', 'deep')).code).toBe(1);
    const r = await run('phase', '--model', 'csc', '--pursuits', 'omp,magic', '--json');
    expect(JSON.parse(r.stdout).error.message).toMatch(/--pursuits/);
  });

  it('parses integer lists and ranges', () => {
    expect(parseIntegerList('1-4,8', 'x')).toEqual([1, 2, 3, 4, 8]);
    expect(() => parseIntegerList('4-1', 'x')).toThrow(/backwards/);
    expect(() => parseIntegerList('a', 'x')).toThrow(/neither/);
  });
});

function writeConfig(): string {
  // A smaller CSC than the preset's N = 640, so the test stays fast.
  writeFileSync(f('small.json'), JSON.stringify({ model: { kind: 'convolutional', dims: '1d', size: 128, layers: [{ filters: 2, kernel: 16, stride: 1, targetCoherence: 0.2 }] }, iterations: 50 }));
  return f('small.json');
}
