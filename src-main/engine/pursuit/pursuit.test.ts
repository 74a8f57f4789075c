import { afterAll, describe, expect, it } from 'vitest';
import { conv2d, convTranspose2d } from '../reference/conv';
import { randomDictionary } from '../ops/dictionary';
import { Runtime, hostTensor, type HostTensor } from '../runtime/session';
import { maxAbs, maxAbsDiff, randomTensor, toRef } from '../testing/fixtures';
import { DivergenceError, PursuitInputError, runPursuit, type LayerSpec, type PursuitOptions, type PursuitProblem } from './index';

const runtime = new Runtime({ providers: ['cpu'] });
afterAll(() => runtime.dispose());

const single: PursuitProblem = {
  signal: randomTensor([1, 1, 16, 18], 1),
  layers: [{ weights: randomDictionary([6, 1, 5, 5], 2), stride: 1, pad: 2 }],
};
const twoLayer: PursuitProblem = {
  signal: randomTensor([2, 1, 20, 20], 3),
  layers: [
    { weights: randomDictionary([6, 1, 4, 4], 4), stride: 2, pad: 0 },
    { weights: randomDictionary([8, 6, 3, 3], 5), stride: 1, pad: 1 },
  ],
};

function opts(o: Partial<PursuitOptions> & Pick<PursuitOptions, 'algorithm'>): PursuitOptions {
  return { lambdas: [0.2], iterations: 50, ...o };
}

/** Dᵀ(y − Dα) in float64 by the reference convolution pair. */
function correlationWithResidual(problem: PursuitProblem, code: HostTensor): Float64Array {
  const l = problem.layers[0]!;
  const pads = [l.pad, l.pad, l.pad, l.pad];
  const strides = [l.stride, l.stride];
  const d = convTranspose2d(toRef(code), toRef(l.weights), { strides, pads });
  const y = toRef(problem.signal);
  const r = { ...y, data: y.data.map((v, i) => v - d.data[i]!) };
  return conv2d(r, toRef(l.weights), { strides, pads }).data;
}

describe('single-layer pursuits', () => {
  it('ISTA never increases the objective', async () => {
    const r = await runPursuit(runtime, single, opts({ algorithm: 'ista', iterations: 120, chunk: 25 }));
    expect(r.history).toHaveLength(120);
    for (let k = 1; k < r.history.length; k++) {
      expect(r.history[k]!.objective).toBeLessThanOrEqual(r.history[k - 1]!.objective * (1 + 1e-6));
    }
    expect(r.history[119]!.objective).toBeLessThan(r.history[0]!.objective * 0.9);
  });

  for (const threshold of ['soft', 'soft-nonneg'] as const) {
    it(`FISTA reaches BP's KKT conditions to 1e-4 relative (${threshold})`, async () => {
      const lambda = 0.2;
      const r = await runPursuit(runtime, single, opts({ algorithm: 'fista', lambdas: [lambda], iterations: 3000, tol: 1e-7, chunk: 50, threshold }));
      const code = r.codes[0]!.data as Float32Array;
      const g = correlationWithResidual(single, r.codes[0]!);
      let onSupport = 0;
      for (let j = 0; j < code.length; j++) {
        if (code[j] !== 0) {
          onSupport++;
          expect(Math.abs(g[j]! - lambda * Math.sign(code[j]!)) / lambda).toBeLessThan(1e-4);
        } else if (threshold === 'soft') {
          expect(Math.abs(g[j]!) / lambda).toBeLessThan(1 + 1e-4);
        } else {
          expect(g[j]! / lambda).toBeLessThan(1 + 1e-4);
        }
      }
      expect(onSupport).toBeGreaterThan(5);
      expect(onSupport).toBeLessThan(code.length / 2);
      if (threshold === 'soft-nonneg') expect(Math.min(...code)).toBeGreaterThanOrEqual(0);
    });
  }

  it('FISTA gets lower than ISTA in the same number of iterations', async () => {
    const a = await runPursuit(runtime, single, opts({ algorithm: 'ista', iterations: 60 }));
    const b = await runPursuit(runtime, single, opts({ algorithm: 'fista', iterations: 60 }));
    expect(b.history.at(-1)!.objective).toBeLessThan(a.history.at(-1)!.objective);
  });

  it('ISTA equals a float64 reference ISTA on a small case', async () => {
    const r = await runPursuit(runtime, single, opts({ algorithm: 'ista', iterations: 8, chunk: 3 }));
    const step = r.layers[0]!.stepSize!;
    const l = single.layers[0]!;
    const p = [l.pad, l.pad, l.pad, l.pad];
    let gamma = conv2d(toRef(single.signal), toRef(l.weights), { pads: p });
    gamma = { ...gamma, data: new Float64Array(gamma.data.length) };
    for (let k = 0; k < 8; k++) {
      const d = convTranspose2d(gamma, toRef(l.weights), { pads: p });
      const res = { ...d, data: d.data.map((v, i) => (single.signal.data[i] as number) - v) };
      const g = conv2d(res, toRef(l.weights), { pads: p });
      gamma = { ...gamma, data: gamma.data.map((v, i) => soft(v + step * g.data[i]!, step * 0.2)) };
    }
    expect(maxAbsDiff(r.codes[0]!.data as Float32Array, gamma.data) / maxAbs(gamma.data)).toBeLessThan(1e-4);
  });

  it('gives the same result whatever the chunk size (state carried exactly)', async () => {
    const a = await runPursuit(runtime, single, opts({ algorithm: 'fista', iterations: 30, chunk: 30 }));
    const b = await runPursuit(runtime, single, opts({ algorithm: 'fista', iterations: 30, chunk: 7 }));
    expect(maxAbsDiff(a.codes[0]!.data as Float32Array, b.codes[0]!.data as Float32Array)).toBeLessThan(1e-5);
    expect(a.history.map((h) => h.iteration)).toEqual(b.history.map((h) => h.iteration));
  });

  it('flipped-conv and ConvTranspose synthesis give the same pursuit', async () => {
    const a = await runPursuit(runtime, single, opts({ algorithm: 'fista', iterations: 20, synthesis: 'conv-transpose' }));
    const b = await runPursuit(runtime, single, opts({ algorithm: 'fista', iterations: 20, synthesis: 'flipped-conv' }));
    expect(maxAbsDiff(a.codes[0]!.data as Float32Array, b.codes[0]!.data as Float32Array)).toBeLessThan(1e-4);
  });

  it('stops at the tolerance and reports why', async () => {
    const r = await runPursuit(runtime, single, opts({ algorithm: 'fista', iterations: 5000, tol: 1e-3, chunk: 10 }));
    expect(r.stopReason).toBe('tolerance');
    expect(r.iterations).toBeLessThan(5000);
  });

  it('cancels between chunks and returns what it has', async () => {
    const abort = new AbortController();
    let events = 0;
    const r = await runPursuit(runtime, single, opts({ algorithm: 'fista', iterations: 1000, chunk: 10, signal: abort.signal, onProgress: () => ++events === 2 && abort.abort() }));
    expect(r.stopReason).toBe('cancelled');
    expect(r.iterations).toBe(20);
    expect(r.codes[0]!.shape).toEqual([1, 6, 16, 18]);
  });

  it('warm-starts from a given code', async () => {
    const first = await runPursuit(runtime, single, opts({ algorithm: 'ista', iterations: 40 }));
    const resumed = await runPursuit(runtime, single, opts({ algorithm: 'ista', iterations: 1, initialCode: first.codes[0]! }));
    expect(resumed.history[0]!.objective).toBeLessThanOrEqual(first.history.at(-1)!.objective * (1 + 1e-6));
  });
});

describe('multi-layer pursuits', () => {
  const lambdas = [0.1, 0.05];

  it('ML-ISTA and ML-FISTA with zero iterations equal layered soft non-negative thresholding, which equals Conv + ReLU with bias −β', async () => {
    const mlIsta = await runPursuit(runtime, twoLayer, { algorithm: 'ml-ista', lambdas, iterations: 0, threshold: 'soft-nonneg' });
    const mlFista = await runPursuit(runtime, twoLayer, { algorithm: 'ml-fista', lambdas, iterations: 0, threshold: 'soft-nonneg' });
    const steps = mlIsta.layers.map((l) => l.stepSize!);
    // The same forward pass written as a CNN: weights c_i·W_i, bias −c_iλ_i.
    const scaled: LayerSpec[] = twoLayer.layers.map((l, i) => ({ ...l, weights: hostTensor(l.weights.shape, (l.weights.data as Float32Array).map((v) => v * steps[i]!)) }));
    const thr = await runPursuit(runtime, { ...twoLayer, layers: scaled }, { algorithm: 'layered-thr', lambdas: lambdas.map((l, i) => l * steps[i]!), iterations: 0 });
    let x = toRef(twoLayer.signal);
    for (const [i, l] of scaled.entries()) {
      const p = [l.pad, l.pad, l.pad, l.pad];
      const bias = new Array(l.weights.shape[0]).fill(-lambdas[i]! * steps[i]!);
      const z = conv2d(x, toRef(l.weights), { strides: [l.stride, l.stride], pads: p }, bias);
      x = { ...z, data: z.data.map((v) => Math.max(v, 0)) };
      const scale = maxAbs(x.data);
      expect(maxAbsDiff(thr.codes[i]!.data as Float32Array, x.data) / scale).toBeLessThan(1e-5);
      expect(maxAbsDiff(mlIsta.codes[i]!.data as Float32Array, thr.codes[i]!.data as Float32Array) / scale).toBeLessThan(1e-5);
      expect(maxAbsDiff(mlFista.codes[i]!.data as Float32Array, thr.codes[i]!.data as Float32Array) / scale).toBeLessThan(1e-5);
    }
  });

  it('ML-FISTA lowers the multi-layer objective from the forward pass, and faster than ML-ISTA', async () => {
    const a = await runPursuit(runtime, twoLayer, { algorithm: 'ml-ista', lambdas, iterations: 40, chunk: 10 });
    const b = await runPursuit(runtime, twoLayer, { algorithm: 'ml-fista', lambdas, iterations: 40, chunk: 10 });
    expect(a.history[0]!.iteration).toBe(0);
    expect(a.history.at(-1)!.objective).toBeLessThan(a.history[0]!.objective);
    expect(b.history.at(-1)!.objective).toBeLessThan(a.history.at(-1)!.objective);
    expect(b.codes.map((c) => c.shape)).toEqual([
      [2, 6, 9, 9],
      [2, 8, 9, 9],
    ]);
  });

  it('layered BP solves each layer as its own BP: layer 2 equals FISTA on layer 1’s code', async () => {
    const r = await runPursuit(runtime, twoLayer, { algorithm: 'layered-bp', lambdas, iterations: 60 });
    const second = await runPursuit(runtime, { signal: r.codes[0]!, layers: [twoLayer.layers[1]!] }, { algorithm: 'fista', lambdas: [lambdas[1]!], iterations: 60 });
    expect(maxAbsDiff(r.codes[1]!.data as Float32Array, second.codes[0]!.data as Float32Array)).toBeLessThan(1e-5);
    expect(r.iterations).toBe(120);
    expect(r.layers).toHaveLength(2);
  });
});

describe('bad input and divergence', () => {
  it('refuses a signal with NaN, naming the position', async () => {
    const bad = randomTensor([1, 1, 16, 18], 9);
    (bad.data as Float32Array)[17] = Number.NaN;
    await expect(runPursuit(runtime, { ...single, signal: bad }, opts({ algorithm: 'fista' }))).rejects.toThrow(/signal contains NaN at flat index 17/);
  });

  it('refuses mismatched channels and λ counts with a clear message', async () => {
    await expect(runPursuit(runtime, { ...twoLayer, layers: [twoLayer.layers[1]!] }, opts({ algorithm: 'fista' }))).rejects.toThrow(/expects 6 input channels but the signal has 1/);
    await expect(runPursuit(runtime, twoLayer, opts({ algorithm: 'ml-fista' }))).rejects.toThrow(PursuitInputError);
  });

  it('stops a diverging run with an error naming the iteration', async () => {
    const run = runPursuit(runtime, single, opts({ algorithm: 'ista', stepSizes: [1e30], iterations: 40 }));
    await expect(run).rejects.toThrow(DivergenceError);
    await expect(run).rejects.toThrow(/ista diverged at iteration \d+/);
  });
});

function soft(x: number, t: number) {
  return Math.sign(x) * Math.max(Math.abs(x) - t, 0);
}

describe('FISTA with adaptive restart', () => {
  it('resets the momentum when the objective rises, and still converges to the same optimum', async () => {
    const plain = await runPursuit(runtime, single, { algorithm: 'fista', lambdas: [0.2], iterations: 600 });
    const restarted = await runPursuit(runtime, single, { algorithm: 'fista', lambdas: [0.2], iterations: 600, restart: true });
    const fPlain = plain.history.at(-1)!.objective;
    expect(Math.abs(restarted.history.at(-1)!.objective - fPlain) / fPlain).toBeLessThan(1e-5);
    // With restart, an increase is followed by a momentum-free step, so no two increases come in a row.
    const h = restarted.history.map((p) => p.objective);
    for (let k = 2; k < h.length; k++) expect(h[k]! > h[k - 1]! * (1 + 1e-6) && h[k - 1]! > h[k - 2]! * (1 + 1e-6)).toBe(false);
  });
});

describe('inpainting', () => {
  it('fills missing pixels of a CSC signal from the known ones, far better than leaving them empty', async () => {
    // A signal that the dictionary represents sparsely, with 40% of its samples missing.
    const D = single.layers[0]!;
    const code = new Float32Array(6 * 16 * 18);
    for (const [i, v] of [[13, 1.5], [200, -1.2], [777, 0.9], [1400, 1.1], [1601, -0.8]] as const) code[i] = v;
    const clean = convTranspose2d({ shape: [1, 6, 16, 18], data: Float64Array.from(code), dtype: 'float64' }, toRef(D.weights), { pads: [2, 2, 2, 2] });
    const mask = new Float32Array(clean.data.length);
    const rnd = Array.from({ length: mask.length }, (_, i) => Math.sin(i * 12.9898) * 43758.5453);
    rnd.forEach((r, i) => (mask[i] = r - Math.floor(r) < 0.6 ? 1 : 0));
    const observed = hostTensor([1, 1, 16, 18], Float32Array.from(clean.data, (v, i) => v * mask[i]!));
    const r = await runPursuit(runtime, { ...single, signal: observed }, opts({ algorithm: 'fista', lambdas: [0.01], iterations: 800, mask: hostTensor([1, 1, 16, 18], mask) }));
    const unmasked = await runPursuit(runtime, { ...single, signal: observed }, opts({ algorithm: 'fista', lambdas: [0.01], iterations: 800 }));
    const missingError = (codeT: HostTensor) => {
      const filled = convTranspose2d(toRef(codeT), toRef(D.weights), { pads: [2, 2, 2, 2] });
      let energy = 0;
      let error = 0;
      for (let i = 0; i < mask.length; i++)
        if (!mask[i]) {
          energy += clean.data[i]! ** 2;
          error += (filled.data[i]! - clean.data[i]!) ** 2;
        }
      return error / energy;
    };
    // Leaving the gaps empty gives 1; fitting the zeros as if they were data stays close to that.
    expect(missingError(r.codes[0]!)).toBeLessThan(0.2);
    expect(missingError(r.codes[0]!)).toBeLessThan(missingError(unmasked.codes[0]!) / 3);
    await expect(runPursuit(runtime, { ...single, signal: observed }, opts({ algorithm: 'fista', mask: hostTensor([1, 1, 4, 4], new Float32Array(16)) }))).rejects.toThrow(/mask must have the signal's shape/);
  });
});
