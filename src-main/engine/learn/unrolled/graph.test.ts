/**
 * The unrolled pursuits as graphs: T = 0 is the CNN exactly; the unrolled ML-ISTA, ML-FISTA and layered BP
 * compute what the engine's own pursuits (pursuit/) compute on the same dictionaries; the variants' defining
 * properties (MSD-CSC's dense identity part, Res-CSC's skip, SDNet's λ input); the model validation.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { hostTensor, Runtime, type HostTensor } from '../../runtime/session';
import { runPursuit } from '../../pursuit/index';
import { mulberry32 } from '../../../../src-shared/math/random';
import { buildForwardGraph, fistaWeights, GAMMA_K, IMAGES, LAMBDA, LOGITS } from './graph';
import { defineModel, initParameters, parameterCount, parameterSpecs, resolveLayers, UnrolledModelError, type Parameters, type UnrolledModel, type UnrolledModelInput } from './model';
import { mnistPaperModel } from './presets';

const runtime = new Runtime({ providers: ['cpu'], intraOpThreads: 1 });
afterAll(() => runtime.dispose());

function randomImages(batch: number, model: UnrolledModel, seed: number): HostTensor {
  const rand = mulberry32(seed);
  const n = batch * model.input.channels * model.input.height * model.input.width;
  return hostTensor([batch, model.input.channels, model.input.height, model.input.width], Float32Array.from({ length: n }, () => rand()));
}

async function forward(model: UnrolledModel, params: Parameters, images: HostTensor, lambda?: number, allCodes = false): Promise<Record<string, HostTensor>> {
  const feeds: Record<string, HostTensor> = { [IMAGES]: images };
  for (const s of parameterSpecs(model)) feeds[s.name] = hostTensor(s.shape, params[s.name]!);
  if (model.options.variant === 'sdnet') feeds[LAMBDA] = hostTensor([], Float32Array.of(lambda ?? model.options.lambda));
  return (await runtime.run(buildForwardGraph(model, images.shape[0]!, { allCodes }), feeds)).outputs;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / Math.max(s, 1e-30);
}

describe('unrolled pursuit graphs', () => {
  it('ML-ISTA, ML-FISTA and layered BP with T = 0 give exactly the CNN (the paper model)', async () => {
    const cnn = mnistPaperModel('cnn');
    const params = initParameters(cnn, 7);
    // Non-zero biases, so the thresholds are exercised as well.
    params.b1 = params.b1!.map((_, i) => -0.01 * (i % 3));
    const images = randomImages(3, cnn, 8);
    const reference = await forward(cnn, params, images);
    for (const unrolling of ['ml-ista', 'ml-fista', 'layered-bp'] as const) {
      const model = mnistPaperModel(unrolling, { T: 0 });
      const graphCnn = buildForwardGraph(cnn, 3);
      expect(buildForwardGraph(model, 3).nodes).toEqual(graphCnn.nodes);
      const out = await forward(model, params, images);
      expect(out[LOGITS]!.data, unrolling).toEqual(reference[LOGITS]!.data);
      expect(out[GAMMA_K]!.data, unrolling).toEqual(reference[GAMMA_K]!.data);
    }
    // …and unrolling does change the output.
    const unrolled = await forward(mnistPaperModel('ml-fista', { T: 2 }), params, images);
    expect(maxRelDiff(unrolled[LOGITS]!.data as Float32Array, reference[LOGITS]!.data as Float32Array)).toBeGreaterThan(1e-4);
  });

  it('every unrolling of the paper model has the same parameters (604,909)', () => {
    const counts = (['cnn', 'ml-ista', 'ml-fista', 'layered-bp'] as const).map((u) => parameterCount(mnistPaperModel(u)));
    expect(new Set(counts).size).toBe(1);
    // W: 32·36 + 64·32·36 + 512·64·16; b: 32 + 64 + 512; c: 3; classifier 512·10 + 10.
    expect(counts[0]).toBe(1152 + 73728 + 524288 + 608 + 3 + 5130);
    expect(resolveLayers(mnistPaperModel('cnn')).map((l) => l.codeShape)).toEqual([
      [32, 12, 12],
      [64, 4, 4],
      [512, 1, 1],
    ]);
  });

  it('FISTA weights: μ_1 = 0, then (t_k − 1)/t_{k+1}; ML-FISTA starts at the forward pass, so T = 2 is ML-ISTA', async () => {
    const w = fistaWeights(4);
    expect(w[0]).toBe(0);
    expect(w[1]).toBeCloseTo(0.618034 / 2.193527, 6);
    for (let k = 1; k < w.length; k++) expect(w[k]!).toBeGreaterThan(w[k - 1]!);
    const ista = mnistPaperModel('ml-ista', { T: 2 });
    const params = initParameters(ista, 3);
    const images = randomImages(2, ista, 4);
    const a = await forward(ista, params, images);
    const b = await forward(mnistPaperModel('ml-fista', { T: 2 }), params, images);
    expect(b[LOGITS]!.data).toEqual(a[LOGITS]!.data);
    const a3 = await forward(mnistPaperModel('ml-ista', { T: 3 }), params, images);
    const b3 = await forward(mnistPaperModel('ml-fista', { T: 3 }), params, images);
    expect(maxRelDiff(b3[GAMMA_K]!.data as Float32Array, a3[GAMMA_K]!.data as Float32Array)).toBeGreaterThan(1e-6);
  });

  // The engine's pursuits (pursuit/multi-layer.ts, layered-bp.ts) with non-negative soft thresholding,
  // steps c_i and λ_i = β/c_i are the same algorithms written independently: the codes must agree.
  for (const [unrolling, algorithm, T, engineIterations] of [
    ['ml-ista', 'ml-ista', 4, 4],
    ['ml-fista', 'ml-fista', 4, 4],
    // Layered BP here: thresholding, then T FISTA steps; the engine counts the thresholding step as FISTA's first.
    ['layered-bp', 'layered-bp', 3, 4],
  ] as const) {
    it(`unrolled ${unrolling} computes the engine's ${algorithm} pursuit`, async () => {
      const beta = 0.02;
      const model = defineModel({
        input: { channels: 1, height: 20, width: 20 },
        layers: [
          { filters: 6, kernel: 4, stride: 2 },
          { filters: 8, kernel: 3, stride: 1, pad: 1 },
        ],
        unrolling,
        T,
        options: { init: 'unit-norm', threshold: beta, learnedThresholds: false },
      });
      const params = initParameters(model, 11);
      const images = randomImages(2, model, 12);
      const out = await forward(model, params, images, undefined, true);
      const layers = resolveLayers(model);
      const steps = layers.map((l) => params[`c${l.index}`]![0]!);
      const result = await runPursuit(runtime, {
        signal: images,
        layers: layers.map((l) => ({ weights: hostTensor(l.weightShape, params[`W${l.index}`]!), stride: l.stride, pad: l.pad })),
      }, { algorithm, lambdas: steps.map((c) => beta / c), iterations: engineIterations, threshold: 'soft-nonneg', stepSizes: steps });
      const ours = [out.gamma_1!, out[GAMMA_K]!];
      result.codes.forEach((code, i) => {
        expect(maxRelDiff(ours[i]!.data as Float32Array, code.data as Float32Array), `Γ_${i + 1}`).toBeLessThan(1e-5);
        expect((code.data as Float32Array).some((v) => v > 0)).toBe(true);
      });
    });
  }

  it('MSD-CSC: with c = 1 and b = 0 the identity part passes every earlier feature map on (dense connection)', async () => {
    const model = defineModel({
      input: { channels: 1, height: 10, width: 10 },
      layers: [
        { filters: 3, kernel: 3, stride: 1 },
        { filters: 2, kernel: 3, stride: 1 },
      ],
      unrolling: 'cnn',
      options: { variant: 'msd-csc' },
    });
    const layers = resolveLayers(model);
    expect(layers.map((l) => [l.dilation, l.pad, l.codeShape[0]])).toEqual([
      [1, 1, 4],
      [2, 2, 6],
    ]);
    const params = initParameters(model, 5);
    const images = randomImages(2, model, 6);
    const out = await forward(model, params, images, undefined, true);
    const g1 = out.gamma_1!.data as Float32Array;
    const gK = out[GAMMA_K]!.data as Float32Array;
    const px = 100;
    for (let b = 0; b < 2; b++) {
      // Γ_2 = [Γ_1; new], Γ_1 = [Y; new]: the image is channel 0 of both, Γ_1 is channels 0–3 of Γ_2.
      expect(Array.from(gK.subarray(b * 6 * px, b * 6 * px + 4 * px))).toEqual(Array.from(g1.subarray(b * 4 * px, (b + 1) * 4 * px)));
      expect(Array.from(g1.subarray(b * 4 * px, b * 4 * px + px))).toEqual(Array.from((images.data as Float32Array).subarray(b * px, (b + 1) * px)));
    }
  });

  it('Res-CSC: layer 3 starts from Γ_1, so with W_3 = 0 and b_3 = 0 it is the identity skip Γ_3 = Γ_1', async () => {
    const model = defineModel({
      input: { channels: 1, height: 10, width: 10 },
      layers: [
        { filters: 4, kernel: 3, stride: 1, pad: 1 },
        { filters: 5, kernel: 3, stride: 1, pad: 1 },
        { filters: 4, kernel: 3, stride: 1, pad: 1 },
      ],
      unrolling: 'cnn',
      options: { variant: 'res-csc' },
    });
    expect(resolveLayers(model).map((l) => l.residualFrom)).toEqual([undefined, undefined, 1]);
    const params = initParameters(model, 9);
    params.W3 = new Float32Array(params.W3!.length);
    const out = await forward(model, params, randomImages(2, model, 10), undefined, true);
    expect(out[GAMMA_K]!.data).toEqual(out.gamma_1!.data);
    expect((out.gamma_1!.data as Float32Array).some((v) => v > 0)).toBe(true);
  });

  it('SDNet: λ is a graph input; a larger λ gives a sparser CSC code, a huge one gives zero', async () => {
    const model = defineModel({
      input: { channels: 1, height: 12, width: 12 },
      layers: [
        { filters: 4, kernel: 3, stride: 1 },
        { filters: 6, kernel: 3, stride: 2 },
      ],
      unrolling: 'cnn',
      T: 3,
      options: { variant: 'sdnet' },
    });
    expect(buildForwardGraph(model, 2).inputs.map((v) => v.name)).toContain(LAMBDA);
    expect(parameterSpecs(model).map((s) => s.name)).not.toContain('b1');
    const params = initParameters(model, 1);
    const images = randomImages(2, model, 2);
    const nnz = async (lambda: number) => (await forward(model, params, images, lambda, true)).gamma_1!.data.filter((v) => v !== 0).length;
    const counts = [await nnz(0), await nnz(0.05), await nnz(0.2), await nnz(1e6)];
    expect(counts[0]).toBeGreaterThan(counts[1]!);
    expect(counts[1]).toBeGreaterThan(counts[2]!);
    expect(counts[3]).toBe(0);
  });

  it('rejects descriptions that cannot be built, naming the field', () => {
    const base: UnrolledModelInput = { layers: [{ filters: 4, kernel: 5, stride: 2 }], unrolling: 'cnn' };
    const bad: [Partial<UnrolledModelInput>, RegExp][] = [
      [{ T: 3 }, /'cnn' is the forward pass/],
      [{ unrolling: 'ml-ista', options: { variant: 'ml-lista' }, T: 2, layers: [{ filters: 4, kernel: 5, stride: 0 }] }, /layer 1: stride/],
      [{ options: { variant: 'ml-lista' } }, /use unrolling 'ml-ista'/],
      [{ options: { variant: 'res-csc' } }, /res-csc/],
      [{ options: { variant: 'msd-csc' } }, /stride must be 1/],
      [{ unrolling: 'ml-ista', options: { variant: 'sdnet' } }, /sdnet/],
      [{ layers: [{ filters: 4, kernel: 40, stride: 1 }] }, /layer 1: 40×40 filters/],
      [{ layers: [] }, /at least one layer/],
      [{ T: -1, unrolling: 'ml-ista' }, /T must be/],
    ];
    for (const [change, message] of bad) expect(() => defineModel({ ...base, ...change } as UnrolledModelInput)).toThrow(message);
    expect(() => defineModel({ ...base, options: { variant: 'res-csc' } })).toThrow(UnrolledModelError);
  });

  it('initialisation is seeded: the same seed gives the same parameters, another seed others', () => {
    const model = mnistPaperModel('ml-fista');
    const a = initParameters(model, 1);
    const b = initParameters(model, 1);
    const c = initParameters(model, 2);
    const same = (x: Float32Array, y: Float32Array) => x.length === y.length && x.every((v, i) => v === y[i]);
    for (const s of parameterSpecs(model)) expect(same(a[s.name]!, b[s.name]!), s.name).toBe(true);
    expect(same(a.W1!, c.W1!)).toBe(false);
    // The authors' scale: W_i ~ N(0, 1)·0.1/√fan_in, c_i = 1, b_i = 0.
    const w2 = a.W2!;
    const rms = Math.sqrt(w2.reduce((s, v) => s + v * v, 0) / w2.length);
    expect(rms).toBeCloseTo(0.1 / Math.sqrt(32 * 36), 3);
    expect(Array.from(a.c1!)).toEqual([1]);
    expect(a.b3!.every((v) => v === 0)).toBe(true);
  });
});
