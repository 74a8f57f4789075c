import { describe, expect, it } from 'vitest';
import { gemm, mat, type Mat } from '../learn/sparseland/dense';
import { convolutionalWelchBound, filterCoherence } from './coherence';
import { codeShapeOf, denseSynthesisMatrix } from './conv-matrix';
import { randomConvFilters } from './dictionaries';
import { patchEnergy, stripeSparsity } from './local-norms';
import { sampleMlcsc, sampleSparseland, type MlcscSpec } from './sampler';

const base: Omit<MlcscSpec, 'dims' | 'size' | 'layers'> = {
  stripe: 2,
  values: { valueRange: [0.5, 1], sign: 'both' },
  noise: { kind: 'none' },
  count: 3,
  seed: 1,
};

/** D·x for a dense D and a vector x. */
function apply(D: Mat, x: Float64Array): Float64Array {
  return gemm(D, mat(x.length, 1, x)).data;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const nnz = (v: Float64Array): number => v.reduce((s, x) => s + (x !== 0 ? 1 : 0), 0);

const geometries: { name: string; spec: MlcscSpec }[] = [
  { name: '1-D, 1 layer, stride 1', spec: { ...base, dims: '1d', size: 100, layers: [{ filters: 2, kernel: 10, stride: 1 }] } },
  { name: '1-D, 2 layers, strides 2/1', spec: { ...base, dims: '1d', size: 61, channels: 2, layers: [{ filters: 3, kernel: 5, stride: 2 }, { filters: 4, kernel: 4, stride: 1 }] } },
  {
    name: '1-D, 3 layers, strides 1/2/1',
    spec: { ...base, dims: '1d', size: 60, layers: [{ filters: 2, kernel: 5, stride: 1 }, { filters: 3, kernel: 4, stride: 2 }, { filters: 4, kernel: 3, stride: 1 }] },
  },
  { name: '2-D, 1 layer, stride 2', spec: { ...base, dims: '2d', size: 15, layers: [{ filters: 3, kernel: 3, stride: 2 }] } },
  { name: '2-D, 2 layers, strides 2/1', spec: { ...base, dims: '2d', size: 16, layers: [{ filters: 4, kernel: 4, stride: 2 }, { filters: 5, kernel: 3, stride: 1 }] } },
  {
    name: '2-D, 3 layers, strides 1/2/1',
    spec: { ...base, dims: '2d', size: 14, channels: 3, layers: [{ filters: 3, kernel: 3, stride: 1 }, { filters: 4, kernel: 2, stride: 2 }, { filters: 4, kernel: 3, stride: 1 }] },
  },
];

describe('sampleMlcsc', () => {
  it('satisfies X = D_1Γ_1 and Γ_{i−1} = D_iΓ_i exactly (dense conv matrices as the oracle)', () => {
    for (const { name, spec } of geometries) {
      const s = sampleMlcsc(spec);
      const K = spec.layers.length;
      expect(s.layers.length).toBe(K);
      let shape = s.signalShape;
      for (let i = 0; i < K; i++) {
        expect(s.layers[i]!.pad).toBe(0);
        expect(s.layers[i]!.weights.data).toBeInstanceOf(Float32Array);
        shape = codeShapeOf(s.layers[i]!, shape);
        expect(s.codeShapes[i], name).toEqual(shape);
      }
      const D = s.layers.map((l, i) => denseSynthesisMatrix(l, i === 0 ? s.signalShape : s.codeShapes[i - 1]!));
      for (let item = 0; item < spec.count; item++) {
        const codes = s.codes[item]!;
        expect(maxAbsDiff(apply(D[0]!, codes[0]!), s.clean[item]!), name).toBeLessThan(1e-12);
        for (let i = 1; i < K; i++) expect(maxAbsDiff(apply(D[i]!, codes[i]!), codes[i - 1]!), `${name} layer ${i + 1}`).toBeLessThan(1e-12);
        expect(nnz(s.clean[item]!)).toBeGreaterThan(0);
      }
    }
  });

  it('gives the deepest code the requested stripe sparsity', () => {
    for (const { name, spec } of geometries) {
      for (const stripe of [1, 3]) {
        const s = sampleMlcsc({ ...spec, stripe, seed: 5 });
        const K = spec.layers.length;
        const input = K === 1 ? s.signalShape : s.codeShapes[K - 2]!;
        for (const codes of s.codes) {
          expect(stripeSparsity({ shape: s.codeShapes[K - 1]!, data: codes[K - 1]! }, s.layers[K - 1]!, input).value, name).toBe(stripe);
        }
      }
    }
  });

  it('is reproducible: same seed, same output; another seed, another output', () => {
    const spec: MlcscSpec = { ...geometries[4]!.spec, noise: { kind: 'sigma', value: 0.1 } };
    const a = sampleMlcsc(spec);
    const b = sampleMlcsc(spec);
    const c = sampleMlcsc({ ...spec, seed: 2 });
    expect(b.clean).toEqual(a.clean);
    expect(b.noisy).toEqual(a.noisy);
    expect(b.codes).toEqual(a.codes);
    expect(b.layers[1]!.weights.data).toEqual(a.layers[1]!.weights.data);
    expect(c.layers[0]!.weights.data).not.toEqual(a.layers[0]!.weights.data);
    expect(c.codes[0]![1]).not.toEqual(a.codes[0]![1]);
    expect(c.noisy[0]).not.toEqual(a.noisy[0]);
  });

  it('changing the noise leaves dictionaries, codes and clean signals unchanged', () => {
    const spec = geometries[1]!.spec;
    const kinds = [{ kind: 'none' }, { kind: 'sigma', value: 0.3 }, { kind: 'snr', value: 10 }, { kind: 'patch', value: 0.2 }] as const;
    const samples = kinds.map((noise) => sampleMlcsc({ ...spec, noise }));
    for (const s of samples.slice(1)) {
      expect(s.codes).toEqual(samples[0]!.codes);
      expect(s.clean).toEqual(samples[0]!.clean);
      expect(s.layers[0]!.weights.data).toEqual(samples[0]!.layers[0]!.weights.data);
    }
    expect(samples[0]!.noisy).toEqual(samples[0]!.clean);
    expect(samples[0]!.noise).toEqual({ sigma: 0, patch: [0, 0, 0] });
  });

  it('hits the noise targets: patch exactly, sigma and SNR within sampling error', () => {
    const spec: MlcscSpec = { ...base, dims: '2d', size: 30, layers: [{ filters: 4, kernel: 4, stride: 2 }], count: 20, stripe: 3 };
    const errors = (s: ReturnType<typeof sampleMlcsc>): Float64Array[] => s.noisy.map((y, i) => y.map((v, k) => v - s.clean[i]![k]!));
    const patched = sampleMlcsc({ ...spec, noise: { kind: 'patch', value: 0.25 } });
    errors(patched).forEach((e, i) => {
      const p = patchEnergy({ shape: patched.signalShape, data: e }, [4, 4]).value;
      expect(p).toBeCloseTo(0.25, 12);
      expect(patched.noise.patch[i]).toBeCloseTo(0.25, 12);
    });
    expect(patched.noise.sigma).toBeGreaterThan(0);

    const sig = sampleMlcsc({ ...spec, noise: { kind: 'sigma', value: 0.2 } });
    const all = errors(sig).flatMap((e) => Array.from(e));
    const sd = Math.sqrt(all.reduce((s, v) => s + v * v, 0) / all.length);
    expect(Math.abs(sd - 0.2)).toBeLessThan(0.2 * 4 / Math.sqrt(2 * all.length));
    expect(sig.noise.sigma).toBe(0.2);
    errors(sig).forEach((e, i) => expect(sig.noise.patch[i]).toBeCloseTo(patchEnergy({ shape: sig.signalShape, data: e }, [4, 4]).value, 12));

    const snr = sampleMlcsc({ ...spec, noise: { kind: 'snr', value: 6 } });
    let signal = 0;
    let noise = 0;
    snr.clean.forEach((x) => x.forEach((v) => (signal += v * v)));
    errors(snr).forEach((e) => e.forEach((v) => (noise += v * v)));
    // 18 000 Gaussian samples: the noise energy is within ±4·√(2/18000) ≈ ±4% (0.17 dB).
    expect(Math.abs(10 * Math.log10(signal / noise) - 6)).toBeLessThan(0.2);
  });

  it('sparse filters give sparse intermediate codes', () => {
    const layers = (nonzeros?: number) => [
      { filters: 8, kernel: 5, stride: 1 },
      { filters: 16, kernel: 5, stride: 1, nonzeros },
    ];
    const spec = { ...base, dims: '1d' as const, size: 200, stripe: 2, count: 5 };
    const dense = sampleMlcsc({ ...spec, layers: layers() });
    const sparse = sampleMlcsc({ ...spec, layers: layers(3) });
    const w = sparse.layers[1]!.weights.data;
    for (let j = 0; j < 16; j++) expect(nnz(Float64Array.from(w.subarray(j * 40, (j + 1) * 40)))).toBe(3);
    let dn = 0;
    let sn = 0;
    sparse.codes.forEach((c, i) => {
      // Each non-zero of Γ_2 writes at most q = 3 entries of Γ_1.
      expect(nnz(c[0]!)).toBeLessThanOrEqual(3 * nnz(c[1]!));
      sn += nnz(c[0]!);
      dn += nnz(dense.codes[i]![0]!);
    });
    expect(sn).toBeLessThan(dn / 5);
  });

  it('reports μ and the Welch bound of each layer, and lowers μ on request', () => {
    const spec: MlcscSpec = { ...base, dims: '1d', size: 127, layers: [{ filters: 2, kernel: 64, stride: 1, targetCoherence: 0.15 }] };
    const s = sampleMlcsc(spec);
    const l = s.layers[0]!;
    expect(s.layerStats[0]!.mu).toBe(filterCoherence(l).mu);
    expect(s.layerStats[0]!.welch).toBe(convolutionalWelchBound(l));
    expect(s.layerStats[0]!.mu).toBeLessThanOrEqual(0.15);
    expect(s.layerStats[0]!.mu).toBeGreaterThan(s.layerStats[0]!.welch);
  });

  it('uses given dictionaries as they are', () => {
    const d1 = randomConvFilters({ filters: 3, channels: 1, kernel: [3, 3], stride: 2 }, 4);
    const d2 = randomConvFilters({ filters: 5, channels: 3, kernel: [2, 2], stride: 1 }, 5);
    const dictionaries = [
      { weights: d1.weights, shape: [...d1.shape], stride: 2 },
      { weights: d2.weights, shape: [...d2.shape], stride: 1 },
    ];
    const s = sampleMlcsc({ ...base, dims: '2d', size: 11, layers: [], dictionaries });
    expect(s.layers[0]!.weights.data).toEqual(d1.weights);
    expect(s.layers[1]!.weights.data).toEqual(d2.weights);
    expect(s.codeShapes).toEqual([
      [3, 5, 5],
      [5, 4, 4],
    ]);
    expect(s.layerStats[1]!.mu).toBe(filterCoherence({ weights: { shape: d2.shape, data: d2.weights }, stride: 1 }).mu);
    expect(() => sampleMlcsc({ ...base, dims: '2d', size: 11, channels: 2, layers: [], dictionaries })).toThrow(/dictionaries\[0\]\.shape\[1\] is 1 channels but its input has 2/);
  });

  it('is fast: 2-D 28×28, two layers, 32 signals', () => {
    const spec: MlcscSpec = {
      ...base,
      dims: '2d',
      size: 28,
      layers: [
        { filters: 32, kernel: 6, stride: 2 },
        { filters: 64, kernel: 6, stride: 2, nonzeros: 40 },
      ],
      stripe: 3,
      count: 32,
      noise: { kind: 'patch', value: 0.1 },
    };
    sampleMlcsc({ ...spec, count: 1 });
    const t = performance.now();
    const s = sampleMlcsc(spec);
    const ms = performance.now() - t;
    expect(s.codeShapes).toEqual([
      [32, 12, 12],
      [64, 4, 4],
    ]);
    expect(ms).toBeLessThan(500);
  });

  it('throws RangeErrors that name the field, and the layer with the nearest valid sizes', () => {
    const ok = geometries[4]!.spec;
    const bad = (patch: Partial<MlcscSpec>) => () => sampleMlcsc({ ...ok, ...patch });
    expect(bad({ size: 17 })).toThrow(RangeError);
    expect(bad({ size: 17 })).toThrow(/layers\[0\] \(kernel 4, stride 2\) does not fit its input height 17.*try size 16 or 18/);
    expect(bad({ size: 15, layers: [{ filters: 4, kernel: 3, stride: 2 }, { filters: 5, kernel: 2, stride: 2 }] })).toThrow(/layers\[1\].*try size 13 or 17/);
    expect(bad({ size: 3, layers: [{ filters: 2, kernel: 5, stride: 1 }] })).toThrow(/layers\[0\].*try size 5/);
    expect(bad({ size: 0 })).toThrow(/size must be a positive integer/);
    expect(bad({ dims: '3d' as '2d' })).toThrow(/dims/);
    expect(bad({ channels: 1.5 })).toThrow(/channels/);
    expect(bad({ stripe: 0 })).toThrow(/stripe/);
    expect(bad({ count: 0 })).toThrow(/count/);
    expect(bad({ seed: 0.5 })).toThrow(/seed/);
    expect(bad({ fill: 2 })).toThrow(/fill/);
    expect(bad({ layers: [] })).toThrow(/layers must be a non-empty array/);
    expect(bad({ layers: [{ filters: 0, kernel: 3, stride: 1 }] })).toThrow(/layers\[0\]\.filters/);
    expect(bad({ layers: [{ filters: 2, kernel: 3, stride: 0 }] })).toThrow(/layers\[0\]\.stride/);
    expect(bad({ layers: [{ filters: 2, kernel: 4, stride: 2, nonzeros: 17 }] })).toThrow(/layers\[0\]: nonzeros/);
    expect(bad({ values: { valueRange: [1, 0.5], sign: 'both' } })).toThrow(/values\.valueRange/);
    expect(bad({ noise: { kind: 'loud' as 'none' } })).toThrow(/noise\.kind/);
    expect(bad({ noise: { kind: 'sigma' } })).toThrow(/noise\.value/);
    expect(bad({ noise: { kind: 'patch', value: -1 } })).toThrow(/noise\.value/);
  });
});

describe('sampleSparseland', () => {
  const values = { valueRange: [1, 2] as const, sign: 'both' as const };

  it('draws y = Dα + e with exactly nnz non-zeros, reproducibly', () => {
    const o = { n: 30, atoms: 60, nnz: 4, values, noise: { kind: 'sigma' as const, value: 0.05 }, count: 10, seed: 3 };
    const s = sampleSparseland(o);
    expect(s.codes.length).toBe(10);
    s.codes.forEach((a, j) => {
      expect(nnz(a)).toBe(4);
      expect(maxAbsDiff(apply(s.D, a), s.clean.data.subarray(j * 30, (j + 1) * 30))).toBeLessThan(1e-12);
    });
    expect(s.sigma).toBe(0.05);
    expect(sampleSparseland(o).noisy.data).toEqual(s.noisy.data);
    expect(sampleSparseland({ ...o, seed: 4 }).noisy.data).not.toEqual(s.noisy.data);
    expect(sampleSparseland({ ...o, noise: { kind: 'none' } }).codes).toEqual(s.codes);
  });

  it("'patch' noise fixes ‖e‖₂ exactly, and targetCoherence lowers μ", () => {
    const s = sampleSparseland({ n: 64, atoms: 128, nnz: 3, values, noise: { kind: 'patch', value: 0.5 }, count: 8, seed: 1, targetCoherence: 0.25 });
    expect(s.mu).toBeLessThanOrEqual(0.25);
    for (let j = 0; j < 8; j++) {
      let e = 0;
      for (let i = 0; i < 64; i++) e += (s.noisy.data[j * 64 + i]! - s.clean.data[j * 64 + i]!) ** 2;
      expect(Math.sqrt(e)).toBeCloseTo(0.5, 12);
    }
  });

  it('names bad fields', () => {
    const o = { n: 4, atoms: 8, nnz: 2, values, noise: { kind: 'none' as const }, count: 1, seed: 1 };
    expect(() => sampleSparseland({ ...o, nnz: 9 })).toThrow(/nnz/);
    expect(() => sampleSparseland({ ...o, n: -1 })).toThrow(/n must/);
    expect(() => sampleSparseland({ ...o, count: 0 })).toThrow(/count/);
  });
});
