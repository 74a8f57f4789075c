/**
 * Convolutional dictionary learning (CSC) and unsupervised ML-CSC learning (Sulam, Papyan, Romano, Elad,
 * IEEE TSP 2018) as workbench sessions. Both learners are resumable from an explicit state; a session
 * iteration asks each for one more outer iteration (CDL) or step (ML-CSC) from the state it holds.
 */
import type { NdArray } from '../../io';
import type { LearningContext, LearningMethodImpl, SavedState } from '../../jobs/learning-job';
import { effectiveAtoms } from '../../ops/effective-atoms';
import { hostTensor, type HostTensor } from '../../runtime/session';
import { learnConvolutionalDictionary, type CdlState } from '../csc/cdl';
import { learnMlcscUnsupervised, type MlcscState } from '../mlcsc';
import { checkParams } from '../specs';

function nd(t: HostTensor): NdArray {
  return { dtype: 'float32', shape: [...t.shape], data: t.data as Float32Array };
}

function host(a: NdArray | undefined, what: string): HostTensor {
  if (!a || a.dtype !== 'float32') throw new Error(`the checkpoint has no float32 array ${what}`);
  return hostTensor(a.shape, a.data as Float32Array);
}

function firstImage(images: HostTensor): HostTensor {
  const [, , h, w] = images.shape as [number, number, number, number];
  return hostTensor([h, w], Float32Array.from((images.data as Float32Array).subarray(0, h * w)));
}

// ---- CDL ----------------------------------------------------------------------------------------------------------

interface CdlSession {
  readonly params: Record<string, unknown>;
  state: CdlState | undefined;
}

function cdlOptions(ctx: LearningContext, p: Record<string, unknown>) {
  const batch = p.batchSize as number;
  return {
    filters: p.filters as number,
    kernelSize: p.kernel as number,
    lambda: p.lambda as number,
    codingIterations: p.codingIterations as number,
    nonNegative: p.nonNegative as boolean,
    init: p.init as 'patches' | 'random',
    shiftMovesEvery: p.shiftMovesEvery as number,
    mode: batch > 0 ? ('online' as const) : ('batch' as const),
    ...(batch > 0 ? { batchSize: batch } : {}),
    seed: ctx.config.seed,
  };
}

export const CDL_METHOD: LearningMethodImpl<CdlSession> = {
  async init(ctx) {
    return { params: checkParams('cdl', ctx.config.params), state: undefined };
  },
  async step(ctx, s, iteration) {
    const r = await learnConvolutionalDictionary(ctx.runtime, ctx.data.images, { ...cdlOptions(ctx, s.params), iterations: iteration, ...(s.state ? { state: s.state } : {}) });
    s.state = r.state;
    const st = r.history[r.history.length - 1]!;
    return { state: s, report: { objective: st.objective, density: [st.density], values: { dataTerm: st.dataTerm, l1Term: st.l1Term, stepSize: st.stepSize, imagesCoded: st.images } } };
  },
  save(s): SavedState {
    if (!s.state) return { json: { empty: true }, tensors: {} };
    const o = s.state.optimizer;
    const tensors: Record<string, NdArray> = { filters: nd(s.state.filters), codes: nd(s.state.codes) };
    if (o.powerVector) tensors.power_vector = nd(o.powerVector);
    if (o.gradientAverage) tensors.gradient_average = nd(o.gradientAverage);
    return { json: { iteration: s.state.iteration, rng: s.state.rng, lipschitz: o.lipschitz, averagedSteps: o.averagedSteps }, tensors };
  },
  async restore(ctx, saved) {
    const params = checkParams('cdl', ctx.config.params);
    const j = saved.json as { empty?: boolean; iteration: number; rng: { seed: number; draws: number }; lipschitz: number; averagedSteps: number };
    if (j.empty) return { params, state: undefined };
    const t = saved.tensors;
    const state: CdlState = {
      filters: host(t.filters, 'filters'),
      codes: host(t.codes, 'codes'),
      iteration: j.iteration,
      rng: j.rng,
      optimizer: {
        lipschitz: j.lipschitz,
        averagedSteps: j.averagedSteps,
        ...(t.power_vector ? { powerVector: host(t.power_vector, 'power_vector') } : {}),
        ...(t.gradient_average ? { gradientAverage: host(t.gradient_average, 'gradient_average') } : {}),
      },
    };
    return { params, state };
  },
  async preview(ctx, s) {
    const input = firstImage(ctx.data.images);
    if (!s.state) return { atoms: [], input };
    const atoms = await effectiveAtoms(ctx.runtime, [{ weights: s.state.filters, stride: 1 }], 1);
    return { atoms: [{ layer: 1, images: atoms }], input };
  },
  async results(ctx, s): Promise<Record<string, HostTensor>> {
    if (!s.state) return {};
    return { W1: s.state.filters, atoms1: await effectiveAtoms(ctx.runtime, [{ weights: s.state.filters, stride: 1 }], 1), input: firstImage(ctx.data.images) };
  },
};

// ---- ML-CSC unsupervised --------------------------------------------------------------------------------------

interface MlcscSession {
  readonly params: Record<string, unknown>;
  state: MlcscState | undefined;
}

function mlcscOptions(ctx: LearningContext, p: Record<string, unknown>) {
  const filters = p.filters as number[];
  const kernels = p.kernels as number[];
  const strides = p.strides as number[];
  if (kernels.length !== filters.length || strides.length !== filters.length) {
    throw new Error(`mlcsc-unsupervised: filters, kernels and strides must list the same number of layers (got ${filters.length}, ${kernels.length}, ${strides.length})`);
  }
  return {
    layers: filters.map((f, i) => ({ filters: f, kernel: kernels[i]!, stride: strides[i]! })),
    lambda: p.lambda as number,
    zeta: p.zeta as number,
    batchSize: p.batchSize as number,
    seed: ctx.config.seed,
  };
}

function mlcscLayers(s: MlcscSession) {
  const strides = s.params.strides as number[];
  return s.state!.weights.map((w, i) => ({ weights: w, stride: strides[i]! }));
}

export const MLCSC_METHOD: LearningMethodImpl<MlcscSession> = {
  async init(ctx) {
    const params = checkParams('mlcsc-unsupervised', ctx.config.params);
    mlcscOptions(ctx, params);
    return { params, state: undefined };
  },
  async step(ctx, s, iteration) {
    const r = await learnMlcscUnsupervised(ctx.runtime, ctx.data.images, { ...mlcscOptions(ctx, s.params), steps: iteration, ...(s.state ? { state: s.state } : {}) });
    s.state = r.state;
    const st = r.history[r.history.length - 1]!;
    const values: Record<string, number> = { dataTerm: st.dataTerm, relativeError: st.relativeError, codeL1: st.codeL1, weightL1: st.weightL1 };
    st.weightSparsity.forEach((z, i) => (values[`filterSparsity${i + 1}`] = z));
    return { state: s, report: { objective: st.loss, density: st.codeSparsity.map((z) => 1 - z), values } };
  },
  save(s): SavedState {
    if (!s.state) return { json: { empty: true }, tensors: {} };
    const o = s.state.optimizer;
    const tensors: Record<string, NdArray> = {};
    s.state.weights.forEach((w, i) => (tensors[`W${i + 1}`] = nd(w)));
    if (o.pursuitVector) tensors.pursuit_vector = nd(o.pursuitVector);
    o.blockVectors?.forEach((v, i) => (tensors[`block_vector${i + 1}`] = nd(v)));
    return { json: { step: s.state.step, rng: s.state.rng, pursuitLipschitz: o.pursuitLipschitz, blockLipschitz: o.blockLipschitz, layers: s.state.weights.length, blockVectors: o.blockVectors?.length ?? 0 }, tensors };
  },
  async restore(ctx, saved) {
    const params = checkParams('mlcsc-unsupervised', ctx.config.params);
    const j = saved.json as { empty?: boolean; step: number; rng: { seed: number; draws: number }; pursuitLipschitz: number; blockLipschitz: number[]; layers: number; blockVectors: number };
    if (j.empty) return { params, state: undefined };
    const t = saved.tensors;
    const weights = Array.from({ length: j.layers }, (_, i) => host(t[`W${i + 1}`], `W${i + 1}`));
    const blockVectors = Array.from({ length: j.blockVectors }, (_, i) => host(t[`block_vector${i + 1}`], `block_vector${i + 1}`));
    const state: MlcscState = {
      weights,
      step: j.step,
      rng: j.rng,
      optimizer: {
        pursuitLipschitz: j.pursuitLipschitz,
        blockLipschitz: j.blockLipschitz,
        ...(t.pursuit_vector ? { pursuitVector: host(t.pursuit_vector, 'pursuit_vector') } : {}),
        ...(blockVectors.length ? { blockVectors } : {}),
      },
    };
    return { params, state };
  },
  async preview(ctx, s) {
    const input = firstImage(ctx.data.images);
    if (!s.state) return { atoms: [], input };
    const layers = mlcscLayers(s);
    const atoms: { layer: number; images: HostTensor }[] = [];
    for (let i = 1; i <= layers.length; i++) atoms.push({ layer: i, images: await effectiveAtoms(ctx.runtime, layers, i) });
    return { atoms, input };
  },
  async results(ctx, s) {
    if (!s.state) return {};
    const out: Record<string, HostTensor> = {};
    const layers = mlcscLayers(s);
    for (let i = 1; i <= layers.length; i++) {
      out[`W${i}`] = layers[i - 1]!.weights;
      out[`atoms${i}`] = await effectiveAtoms(ctx.runtime, layers, i);
    }
    return out;
  },
};
