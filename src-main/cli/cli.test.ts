import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpzFile, readPngAsGray, serializeNpy, writeGrayPng, writeNpyFile } from '../engine/io';
import { randomDictionary } from '../engine/ops/dictionary';
import { randn } from '../../src-shared/math/random';
import { runCli } from './test-support';

const root = path.resolve(import.meta.dirname, '../..');
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sparseland-cli-'));
  await writeNpyFile(path.join(dir, 'X.npy'), { dtype: 'float64', shape: [2, 1, 20, 20], data: Float64Array.from(randn(800, 1)) });
  await writeNpyFile(path.join(dir, 'img.npy'), { dtype: 'float32', shape: [20, 20], data: randn(400, 2) });
  for (const [name, shape, seed] of [
    ['W1.npy', [6, 1, 4, 4], 1],
    ['W2.npy', [8, 6, 3, 3], 2],
  ] as const) {
    const w = randomDictionary(shape, seed);
    await writeNpyFile(path.join(dir, name), { dtype: 'float32', shape: [...shape], data: w.data as Float32Array });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runCli;

const f = (name: string) => path.join(dir, name);

describe('sparseland pursue', () => {
  it('runs ML-FISTA on two layers and writes gamma1, gamma2 to the .npz', async () => {
    const r = await run('pursue', '--signal', f('X.npy'), '--dict', `${f('W1.npy')},${f('W2.npy')}`, '--stride', '2,1', '--pad', '0,1', '--algorithm', 'ml-fista', '--lambda', '0.1,0.05', '--iterations', '20', '--out', f('codes.npz'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.provider).toBe('cpu');
    expect(json.iterations).toBe(20);
    expect(json.layers).toHaveLength(2);
    expect(json.history[0]).toMatchObject({ iteration: 0 });
    expect(json.history.at(-1).seconds).toBeGreaterThan(0);
    for (const l of json.layers) {
      expect(l.density).toBeGreaterThan(0);
      expect(l.density).toBeLessThanOrEqual(1);
    }
    const npz = await readNpzFile(f('codes.npz'));
    expect([...npz.keys()].sort()).toEqual(['gamma1', 'gamma2']);
    expect(npz.get('gamma1')!.shape).toEqual([2, 6, 9, 9]);
    expect(npz.get('gamma2')!.shape).toEqual([2, 8, 9, 9]);
    const nnz1 = Array.from(npz.get('gamma1')!.data as Float32Array).filter((v) => v !== 0).length;
    expect(nnz1).toBe(json.layers[0].nnz);
  });

  it('accepts an [H, W] signal and a single λ for every layer', async () => {
    const r = await run('pursue', '--signal', f('img.npy'), '--dict', f('W1.npy'), '--algorithm', 'fista', '--lambda', '0.2', '--iterations', '30', '--tol', '1e-9', '--json');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.history).toHaveLength(30);
    expect(json.history[29].objective).toBeLessThan(json.history[0].objective);
  });

  it('refuses a corrupt signal file with a message naming it', async () => {
    writeFileSync(f('bad.npy'), serializeNpy({ dtype: 'float32', shape: [4], data: new Float32Array(4) }).subarray(0, 20));
    const r = await run('pursue', '--signal', f('bad.npy'), '--dict', f('W1.npy'), '--algorithm', 'fista', '--lambda', '0.1', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.message).toMatch(/bad\.npy/);
    expect(r.stderr).toMatch(/^sparseland: .*bad\.npy/);
  });

  it('refuses an impossible configuration with a clear message', async () => {
    const r = await run('pursue', '--signal', f('X.npy'), '--dict', f('W2.npy'), '--algorithm', 'ista', '--lambda', '0.1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/expects 6 input channels but the signal has 1/);
    const bad = await run('pursue', '--signal', f('X.npy'), '--dict', f('W1.npy'), '--algorithm', 'fista', '--lambda', 'abc');
    expect(bad.stderr).toMatch(/--lambda: "abc" is not a number/);
    const unknown = await run('pursue', '--signal', f('X.npy'), '--dict', f('W1.npy'), '--algorithm', 'omp', '--lambda', '0.1');
    expect(unknown.code).toBe(2);
  });
});

describe('sparseland denoise', () => {
  it('denoises a noisy image with K-SVD, raising PSNR and SSIM, and writes the PNG', async () => {
    const camera = readPngAsGray(readFileSync(path.join(root, 'resources/samples/camera.png')), 'camera.png');
    const crop = new Float32Array(64 * 64);
    for (let i = 0; i < 64; i++) crop.set(camera.data.subarray((100 + i) * 512 + 200, (100 + i) * 512 + 264), i * 64);
    writeFileSync(f('crop.png'), writeGrayPng(crop, 64, 64, { min: 0, max: 1 }));
    const r = await run('denoise', '--image', f('crop.png'), '--sigma', '25', '--iterations', '3', '--atoms', '64', '--out', f('den.png'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.psnr).toBeGreaterThan(json.psnrNoisy + 3);
    expect(json.ssim).toBeGreaterThan(json.ssimNoisy);
    expect(readPngAsGray(readFileSync(f('den.png')), 'den.png').shape).toEqual([64, 64]);
    const csc = await run('denoise', '--image', f('crop.png'), '--sigma', '25', '--method', 'csc', '--iterations', '3', '--json');
    expect(csc.code, csc.stderr).toBe(0);
    expect(JSON.parse(csc.stdout).psnr).toBeGreaterThan(JSON.parse(csc.stdout).psnrNoisy + 1);
    const ml = await run('denoise', '--image', f('crop.png'), '--sigma', '25', '--method', 'mlcsc', '--iterations', '3', '--json');
    expect(ml.code, ml.stderr).toBe(0);
    expect(JSON.parse(ml.stdout).psnr).toBeGreaterThan(JSON.parse(ml.stdout).psnrNoisy + 1);
    const bad = await run('denoise', '--image', f('crop.png'), '--sigma', '-1');
    expect(bad.stderr).toMatch(/--sigma: "-1" must be a positive number/);
  });
});

describe('sparseland info', () => {
  it('reports version, providers and the ONNX Runtime version (through npx’s bin launcher)', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin/sparseland.mjs'), 'info', '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.onnxruntime).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.providers.available).toContain('cpu');
    expect(info.providers.available).toContain(info.providers.used);
  });
});
