/**
 * K-SVD, MOD and online dictionary learning as workbench sessions on an image's patches. With σ > 0 the
 * image is first corrupted with seeded Gaussian noise and the session is K-SVD denoising (Elad & Aharon
 * 2006): codes to the error ε = 1.15·σ·√n, and after the last iteration every overlapping patch is coded and
 * averaged with the noisy image, reporting PSNR and SSIM against the clean image.
 */
import type { LearnMethod } from '../../../../src-shared/contract';
import type { NdArray } from '../../io';
import type { LearningContext, LearningMethodImpl, SavedState, StepReport } from '../../jobs/learning-job';
import { hostTensor, type HostTensor } from '../../runtime/session';
import {
  addGaussianNoise,
  addMeans,
  assemblePatches,
  batchOmp,
  createKsvdState,
  createModState,
  createOnlineDlState,
  extractPatches,
  ksvdIteration,
  ksvdStateFromArrays,
  ksvdStateToArrays,
  mat,
  modIteration,
  modStateFromArrays,
  modStateToArrays,
  onlineDlIteration,
  onlineDlStateFromArrays,
  onlineDlStateToArrays,
  overcompleteDct2d,
  psnr,
  reconstruct,
  removeMeans,
  SeededStream,
  ssim,
  type IterationStats,
  type KsvdState,
  type Mat,
  type ModState,
  type OnlineDlState,
} from '../sparseland';
import { checkParams } from '../specs';

type Learner = KsvdState | ModState | OnlineDlState;

interface PatchSession {
  readonly method: 'ksvd' | 'mod' | 'online-dl';
  readonly params: Record<string, unknown>;
  readonly clean: Float64Array;
  readonly noisy: Float64Array;
  readonly height: number;
  readonly width: number;
  readonly train: Mat;
  learner: Learner;
  denoised?: Float64Array;
  last?: IterationStats;
}

/** The image in 0–255, as the K-SVD denoising paper uses it. */
function imageOf(ctx: LearningContext): { pixels: Float64Array; height: number; width: number } {
  const [, c, h, w] = ctx.data.images.shape as [number, number, number, number];
  if (c !== 1) throw new Error(`patch methods learn on grayscale images; ${ctx.data.description} has ${c} channels`);
  const data = ctx.data.images.data as Float32Array;
  return { pixels: Float64Array.from(data.subarray(0, h * w), (v) => v * 255), height: h, width: w };
}

function prepare(ctx: LearningContext, method: PatchSession['method']): Omit<PatchSession, 'learner'> {
  const params = checkParams(method, ctx.config.params);
  const p = params.patchSize as number;
  const { pixels, height, width } = imageOf(ctx);
  const sigma = (params.sigma as number | undefined) ?? 0;
  const noisy = sigma > 0 ? addGaussianNoise(pixels, sigma, ctx.config.seed) : pixels;
  const items = ctx.data.images.shape[0]!;
  // Denoising learns on the noisy image itself (Elad & Aharon 2006); plain learning on a data set of many
  // items draws its training patches from all of them.
  if (sigma === 0 && items > 1) return { method, params, clean: pixels, noisy, height, width, train: patchesFromItems(ctx, p, params.trainingPatches as number) };
  const all = extractPatches(noisy, height, width, p, 1);
  removeMeans(all.patches);
  const n = p * p;
  const N = all.patches.cols;
  const count = Math.min(params.trainingPatches as number, N);
  const order = new SeededStream(ctx.config.seed).permutation(N);
  const train = mat(n, count);
  for (let j = 0; j < count; j++) train.data.set(all.patches.data.subarray(order[j]! * n, (order[j]! + 1) * n), j * n);
  return { method, params, clean: pixels, noisy, height, width, train };
}

/**
 * `wanted` distinct p×p patches (means removed, pixels in 0–255) drawn at random over every item of the
 * data set. Patches are read straight from the float32 data, so a large data set is never copied whole.
 */
export function patchesFromItems(ctx: Pick<LearningContext, 'data' | 'config'>, p: number, wanted: number): Mat {
  const [items, , h, w] = ctx.data.images.shape as [number, number, number, number];
  if (p > h || p > w) throw new Error(`patches of ${p}×${p} do not fit in the ${h}×${w} items of ${ctx.data.description}`);
  const rows = h - p + 1;
  const cols = w - p + 1;
  const perItem = rows * cols;
  const total = items * perItem;
  const count = Math.min(wanted, total);
  const stream = new SeededStream(ctx.config.seed);
  let picks: ArrayLike<number>;
  if (count * 4 >= total) picks = stream.permutation(total).subarray(0, count);
  else {
    // Far fewer patches than positions: rejection keeps the draw distinct without a permutation of them all.
    const seen = new Set<number>();
    const out = new Int32Array(count);
    for (let j = 0; j < count; ) {
      const k = stream.int(total);
      if (seen.has(k)) continue;
      seen.add(k);
      out[j++] = k;
    }
    picks = out;
  }
  const data = ctx.data.images.data as Float32Array;
  const n = p * p;
  const train = mat(n, count);
  for (let j = 0; j < count; j++) {
    const k = picks[j]!;
    const item = Math.floor(k / perItem);
    const y0 = Math.floor((k % perItem) / cols);
    const x0 = k % cols;
    const base = item * h * w;
    for (let y = 0; y < p; y++) for (let x = 0; x < p; x++) train.data[j * n + y * p + x] = data[base + (y0 + y) * w + x0 + x]! * 255;
  }
  removeMeans(train);
  return train;
}

function errorTarget(s: Omit<PatchSession, 'learner'>): number | undefined {
  const sigma = (s.params.sigma as number | undefined) ?? 0;
  return sigma > 0 ? 1.15 * sigma * (s.params.patchSize as number) : undefined;
}

function initialDictionary(s: Omit<PatchSession, 'learner'>): Mat | undefined {
  const K = s.params.atoms as number;
  const n = s.train.rows;
  // The overcomplete DCT needs √K to be an integer; otherwise the learners draw atoms from the data.
  return Number.isInteger(Math.sqrt(K)) && K >= n ? overcompleteDct2d(n, K) : undefined;
}

function toArrays(s: PatchSession): Record<string, NdArray> {
  if (s.method === 'ksvd') return ksvdStateToArrays(s.learner as KsvdState);
  if (s.method === 'mod') return modStateToArrays(s.learner as ModState);
  return onlineDlStateToArrays(s.learner as OnlineDlState);
}

function dictionaryOf(s: PatchSession): Mat {
  return (s.learner as { dictionary: Mat }).dictionary;
}

/** Codes every overlapping patch of the noisy image and averages them with it (Elad & Aharon 2006, eq. 13). */
function denoise(s: PatchSession): Float64Array {
  const p = s.params.patchSize as number;
  const sigma = (s.params.sigma as number | undefined) ?? 0;
  const all = extractPatches(s.noisy, s.height, s.width, p, 1);
  const means = removeMeans(all.patches);
  const eps = errorTarget(s);
  const codes = batchOmp(dictionaryOf(s), all.patches, eps !== undefined ? { errorTarget: eps, sparsity: Math.floor((p * p) / 2) } : { sparsity: s.params.sparsity as number });
  const estimate = reconstruct(dictionaryOf(s), codes);
  addMeans(estimate, means);
  return assemblePatches(all, estimate, sigma > 0 ? { noisy: s.noisy, lambda: 30 / sigma } : {});
}

function image01(pixels: Float64Array, height: number, width: number): HostTensor {
  return hostTensor([height, width], Float32Array.from(pixels, (v) => v / 255));
}

function patchMethod(method: PatchSession['method']): LearningMethodImpl<PatchSession> {
  return {
    async init(ctx) {
      const base = prepare(ctx, method);
      const K = base.params.atoms as number;
      const initial = initialDictionary(base);
      const o = { atoms: K, seed: ctx.config.seed + 1, ...(initial ? { initial } : {}) };
      const learner = method === 'ksvd' ? createKsvdState(base.train, o) : method === 'mod' ? createModState(base.train, o) : createOnlineDlState(base.train, o);
      return { ...base, learner };
    },
    async step(ctx, s, iteration) {
      const eps = errorTarget(s);
      const T0 = s.params.sparsity as number;
      const coding = eps !== undefined ? { errorTarget: eps, sparsity: Math.floor(s.train.rows / 2) } : { sparsity: T0 };
      let stats: IterationStats;
      if (method === 'ksvd') stats = ksvdIteration(s.train, s.learner as KsvdState, { ...coding, replaceAtoms: s.params.replaceAtoms as boolean, lastIteration: iteration === ctx.config.iterations });
      else if (method === 'mod') stats = modIteration(s.train, s.learner as ModState, coding);
      else stats = onlineDlIteration(s.train, s.learner as OnlineDlState, { sparsity: T0, batchSize: s.params.batchSize as number });
      s.last = stats;
      const values: Record<string, number> = { rmse: stats.rmse, meanL0: stats.meanL0, replacedAtoms: stats.replaced };
      if (iteration === ctx.config.iterations) {
        s.denoised = denoise(s);
        if (((s.params.sigma as number | undefined) ?? 0) > 0) {
          values.psnrNoisy = psnr(s.clean, s.noisy, 255);
          values.psnr = psnr(s.clean, s.denoised, 255);
          values.ssimNoisy = ssim(s.clean, s.noisy, s.height, s.width, 255);
          values.ssim = ssim(s.clean, s.denoised, s.height, s.width, 255);
        }
      }
      const report: StepReport = { objective: stats.rmse, values };
      return { state: s, report };
    },
    save(s): SavedState {
      return { json: { method }, tensors: toArrays(s) };
    },
    async restore(ctx, saved) {
      const base = prepare(ctx, method);
      const arrays = new Map(Object.entries(saved.tensors));
      const learner = method === 'ksvd' ? ksvdStateFromArrays(arrays) : method === 'mod' ? modStateFromArrays(arrays) : onlineDlStateFromArrays(arrays);
      return { ...base, learner };
    },
    async preview(_ctx, s) {
      const D = dictionaryOf(s);
      const p = s.params.patchSize as number;
      const atoms = hostTensor([D.cols, p, p], Float32Array.from(D.data));
      return {
        atoms: [{ layer: 1, images: atoms }],
        input: image01(s.noisy, s.height, s.width),
        ...(s.denoised ? { reconstruction: image01(s.denoised, s.height, s.width) } : {}),
      };
    },
    async results(_ctx, s) {
      const D = dictionaryOf(s);
      const p = s.params.patchSize as number;
      const out: Record<string, HostTensor> = {
        W1: hostTensor([D.cols, 1, p, p], Float32Array.from(D.data)),
        atoms1: hostTensor([D.cols, p, p], Float32Array.from(D.data)),
        input: image01(s.noisy, s.height, s.width),
        clean: image01(s.clean, s.height, s.width),
      };
      if (s.denoised) out.reconstruction = image01(s.denoised, s.height, s.width);
      return out;
    },
  };
}

export const PATCH_METHODS: Partial<Record<LearnMethod, LearningMethodImpl<PatchSession>>> = {
  ksvd: patchMethod('ksvd'),
  mod: patchMethod('mod'),
  'online-dl': patchMethod('online-dl'),
};
