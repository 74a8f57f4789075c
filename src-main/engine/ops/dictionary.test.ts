import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder';
import { conv2d, convTranspose2d } from '../reference/conv';
import { Runtime, hostTensor } from '../runtime/session';
import { dot, maxAbs, maxAbsDiff, randomTensor, toRef } from '../testing/fixtures';
import { analysis, canUseFlippedConv, codeShape, fourierLipschitzBound, lipschitzConstant, normalizeAtoms, randomDictionary, synthesis, type LayerGeometry, type SynthesisMode } from './dictionary';

const runtime = new Runtime({ providers: ['cpu'] });
afterAll(() => runtime.dispose());

interface Case {
  signal: number[];
  filters: number;
  kernel: [number, number];
  stride: number;
  pad: number;
}

// Odd sizes, strides 1–3, kernels 3–12, multi-channel inputs and 1-D signals (H = 1, kernel height 1).
const grid: Case[] = [];
for (const stride of [1, 2, 3])
  for (const k of [3, 4, 5, 8, 12])
    for (const [c, h, w] of [
      [1, 17, 23],
      [3, 13, 15],
    ] as const) {
      if (k > h) continue;
      grid.push({ signal: [2, c, h, w], filters: 4, kernel: [k, k], stride, pad: (k * stride) % 3 });
    }
for (const stride of [1, 2, 3]) for (const k of [3, 7, 12]) grid.push({ signal: [2, 2, 1, 41], filters: 3, kernel: [1, k], stride, pad: k % 2 });

function describeCase(c: Case) {
  return `signal [${c.signal}] ${c.filters}×${c.kernel.join('×')} stride ${c.stride} pad ${c.pad}`;
}

async function pair(c: Case, mode: SynthesisMode, seed: number) {
  const layer: LayerGeometry = { weightShape: [c.filters, c.signal[1]!, ...c.kernel], stride: c.stride, pad: c.pad };
  const gShape = codeShape(c.signal, layer);
  const g = new GraphBuilder('pair');
  const x = g.input('x', 'float32', c.signal);
  const w = g.input('w', 'float32', layer.weightShape);
  const gamma = g.input('gamma', 'float32', gShape);
  g.output('analysis', analysis(g, x, w, layer));
  g.output('synthesis', synthesis(g, gamma, w, layer, c.signal, mode));
  const feeds = { x: randomTensor(c.signal, seed), w: randomTensor(layer.weightShape, seed + 1), gamma: randomTensor(gShape, seed + 2) };
  const r = await runtime.run(g.toIR(), feeds);
  return { layer, feeds, a: r.outputs.analysis!.data as Float32Array, s: r.outputs.synthesis!.data as Float32Array };
}

describe('convolutional dictionary operators', () => {
  it('analysis and synthesis are adjoint over a grid of geometries, in both synthesis forms', async () => {
    let worst = 0;
    for (const [i, c] of grid.entries()) {
      const layer = { weightShape: [c.filters, c.signal[1]!, ...c.kernel], stride: c.stride, pad: c.pad };
      const modes: SynthesisMode[] = canUseFlippedConv(layer, c.signal) ? ['conv-transpose', 'flipped-conv'] : ['conv-transpose'];
      for (const mode of modes) {
        const { feeds, a, s } = await pair(c, mode, 10 * i);
        const lhs = dot(a, feeds.gamma.data as Float32Array);
        const rhs = dot(feeds.x.data as Float32Array, s);
        const rel = Math.abs(lhs - rhs) / Math.max(Math.abs(lhs), Math.abs(rhs), 1e-12);
        worst = Math.max(worst, rel);
        expect(rel, `${describeCase(c)} (${mode})`).toBeLessThan(2e-5);
      }
    }
    expect(worst).toBeGreaterThan(0);
  });

  it('equals the float64 reference convolution pair', async () => {
    for (const [i, c] of grid.filter((_, j) => j % 4 === 0).entries()) {
      const { layer, feeds, a, s } = await pair(c, 'auto', 100 + i);
      const pads = c.signal[2] === 1 ? [0, c.pad, 0, c.pad] : [c.pad, c.pad, c.pad, c.pad];
      const refA = conv2d(toRef(feeds.x), toRef(feeds.w), { strides: [c.stride, c.stride], pads });
      const out = convTranspose2d(toRef(feeds.gamma), toRef(feeds.w), { strides: [c.stride, c.stride], pads, outputPadding: outputPadding(c, layer) });
      expect(maxAbsDiff(a, refA.data) / maxAbs(refA.data), describeCase(c)).toBeLessThan(1e-5);
      expect(out.shape).toEqual(c.signal);
      expect(maxAbsDiff(s, out.data) / maxAbs(out.data), describeCase(c)).toBeLessThan(1e-5);
    }
  });

  it('uses the flipped-kernel Conv only where it is exact (stride 1, pad ≤ k−1)', () => {
    const base = { weightShape: [4, 1, 5, 5], pad: 2 };
    expect(canUseFlippedConv({ ...base, stride: 1 }, [1, 1, 9, 9])).toBe(true);
    expect(canUseFlippedConv({ ...base, stride: 2 }, [1, 1, 9, 9])).toBe(false);
    expect(canUseFlippedConv({ ...base, stride: 1, pad: 5 }, [1, 1, 9, 9])).toBe(false);
  });

  it('normalises every atom to unit ℓ2 norm and leaves zero atoms at zero', () => {
    const w = randomTensor([5, 3, 4, 4], 7, 3);
    (w.data as Float32Array).fill(0, 48, 96);
    const n = normalizeAtoms(w);
    for (let j = 0; j < 5; j++) {
      const atom = (n.data as Float32Array).subarray(j * 48, (j + 1) * 48);
      expect(Math.sqrt(dot(atom, atom))).toBeCloseTo(j === 1 ? 0 : 1, 6);
    }
  });

  it('estimates ‖D‖₂² by power iteration, matching the dense operator to 1e-4', async () => {
    const signal = [1, 2, 9, 10];
    const layer: LayerGeometry = { weightShape: [3, 2, 4, 4], stride: 2, pad: 1 };
    const weights = randomDictionary(layer.weightShape, 3);
    const { value } = await lipschitzConstant(runtime, weights, layer, signal);
    // Dense D: columns are syntheses of unit codes, computed by the float64 reference.
    const gShape = codeShape(signal, layer);
    const cols = gShape.reduce((a, b) => a * b, 1);
    const rows = signal.reduce((a, b) => a * b, 1);
    const D: Float64Array[] = [];
    for (let j = 0; j < cols; j++) {
      const e = new Float64Array(cols);
      e[j] = 1;
      D.push(convTranspose2d({ shape: gShape, data: e, dtype: 'float64' }, toRef(weights), { strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 0] }).data);
    }
    expect(D[0]!.length).toBe(rows);
    // λ_max(DᵀD) by float64 power iteration on the dense Gram matrix.
    let v = new Float64Array(cols).fill(1);
    let lambda = 0;
    for (let it = 0; it < 3000; it++) {
      const dv = new Float64Array(rows);
      for (let j = 0; j < cols; j++) for (let r = 0; r < rows; r++) dv[r] += D[j]![r]! * v[j]!;
      const next = new Float64Array(cols);
      for (let j = 0; j < cols; j++) next[j] = dot(D[j]!, dv);
      lambda = Math.sqrt(dot(next, next));
      v = next.map((x) => x / lambda);
    }
    expect(Math.abs(value - lambda) / lambda).toBeLessThan(1e-4);
  });

  it('bounds ‖D‖₂² from above in the Fourier domain, tightly, for stride-1 single-channel dictionaries', async () => {
    for (const [size, k, pad] of [
      [24, 5, 0],
      [31, 8, 7],
      [40, 4, 2],
    ] as const) {
      const signal = [1, 1, size, size];
      const layer: LayerGeometry = { weightShape: [6, 1, k, k], stride: 1, pad };
      const weights = randomDictionary(layer.weightShape, size);
      const bound = fourierLipschitzBound(weights, layer, signal)!;
      const { value } = await lipschitzConstant(runtime, weights, layer, signal, { maxIterations: 2000, tol: 1e-9 });
      expect(bound).toBeGreaterThanOrEqual(value * (1 - 1e-5));
      expect(bound / value).toBeLessThan(1.15);
    }
    expect(fourierLipschitzBound(randomDictionary([4, 2, 3, 3], 1), { weightShape: [4, 2, 3, 3], stride: 1, pad: 0 }, [1, 2, 9, 9])).toBeUndefined();
    expect(fourierLipschitzBound(randomDictionary([4, 1, 3, 3], 1), { weightShape: [4, 1, 3, 3], stride: 2, pad: 0 }, [1, 1, 9, 9])).toBeUndefined();
  });

  it('refuses geometries that do not fit, naming the layer', () => {
    expect(() => codeShape([1, 1, 4, 4], { weightShape: [2, 1, 6, 6], stride: 1, pad: 0 })).toThrow(/does not fit/);
    expect(() => codeShape([1, 1, 8], { weightShape: [2, 1, 3, 3], stride: 1, pad: 0 })).toThrow(/\[B, C, H, W\]/);
    expect(hostTensor([2], Float32Array.of(1, 2)).shape).toEqual([2]);
  });
});

function outputPadding(c: Case, layer: LayerGeometry): number[] {
  const code = codeShape(c.signal, layer);
  const padH = c.signal[2] === 1 ? 0 : c.pad;
  return [0, 1].map((i) => {
    const k = c.kernel[i]!;
    const p = i === 0 ? padH : c.pad;
    return c.signal[2 + i]! - (c.stride * (code[2 + i]! - 1) + k - 2 * p);
  });
}
