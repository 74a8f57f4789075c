/**
 * K-SVD denoising (Elad & Aharon 2006, "Image denoising via sparse and redundant representations over
 * learned dictionaries", Fig. 2): learn a dictionary on the noisy image's own overlapping patches with an
 * error-constrained K-SVD, code every patch to the same error, and average the coded patches together with
 * the noisy image.
 */
import { batchOmp } from './omp';
import { overcompleteDct2d } from './dct';
import { mat, type Mat } from './dense';
import { meanL0, reconstruct } from './codes';
import { ksvd, type KsvdState } from './ksvd';
import { LearnInputError, SeededStream, type IterationStats } from './learning';
import { addMeans, assemblePatches, extractPatches, removeMeans } from './patches';

export interface KsvdDenoiseOptions {
  /** Noise standard deviation, in the image's units (e.g. 25 for an image in [0, 255]). */
  readonly sigma: number;
  /** Patch side √n (default 8). */
  readonly patchSize?: number;
  /** K; a perfect square when the DCT initialisation is used (default 256). */
  readonly atoms?: number;
  /** K-SVD iterations (default 10). */
  readonly iterations?: number;
  /** The gain C in the error target ε = C·σ·√n (default 1.15, as in the paper). */
  readonly gain?: number;
  /**
   * Weight λ of the noisy image in the final average (default 30/σ, the paper's choice for images in
   * [0, 255]: at σ = 25 it is 1.2, against up to n = 64 overlapping patch estimates per pixel).
   */
  readonly lambda?: number;
  /** Training patches drawn at random, without replacement, from all the patches (default 40000 or all if fewer). */
  readonly trainingPatches?: number;
  /** Most atoms per patch code (default n/2): a cap for speed on very noisy or textured patches. */
  readonly maxAtoms?: number;
  /** Stride of the patches that are coded and averaged (default 1: all overlapping patches). */
  readonly stride?: number;
  /** Seeds the training-patch draw and K-SVD (default 0). */
  readonly seed?: number;
  /** Initial dictionary n×K (default the overcomplete 2-D DCT). */
  readonly initial?: Mat;
  readonly onIteration?: (stats: IterationStats, state: KsvdState) => void;
  readonly signal?: AbortSignal;
}

export interface KsvdDenoiseResult {
  readonly image: Float64Array;
  readonly dictionary: Mat;
  readonly stats: IterationStats[];
  /** Mean number of atoms per coded patch in the final coding. */
  readonly meanL0: number;
  /** Patches the dictionary was trained on. */
  readonly trainingPatches: number;
  /** ε used for every patch. */
  readonly errorTarget: number;
  readonly lambda: number;
  readonly seconds: number;
  readonly stopReason: 'iterations' | 'cancelled';
}

/**
 * Denoises a row-major height×width image. Every patch has its mean removed before learning and coding
 * and added back before averaging, so the dictionary models only the zero-mean part (the DC atom of the
 * DCT start is then unused and gets replaced in the first iteration). A cancelled run still returns an
 * image, denoised with the dictionary learned so far.
 */
export async function ksvdDenoise(noisy: ArrayLike<number>, height: number, width: number, o: KsvdDenoiseOptions): Promise<KsvdDenoiseResult> {
  const t0 = performance.now();
  if (!(o.sigma > 0)) throw new LearnInputError(`sigma must be positive, got ${o.sigma}`);
  const p = o.patchSize ?? 8;
  const n = p * p;
  const K = o.atoms ?? 256;
  const errorTarget = (o.gain ?? 1.15) * o.sigma * Math.sqrt(n);
  const lambda = o.lambda ?? 30 / o.sigma;
  const maxAtoms = o.maxAtoms ?? Math.floor(n / 2);
  const all = extractPatches(noisy, height, width, p, 1);
  const allMeans = removeMeans(all.patches);
  const N = all.patches.cols;
  const count = Math.min(o.trainingPatches ?? 40000, N);
  const rng = new SeededStream(o.seed ?? 0);
  const order = rng.permutation(N);
  const train = mat(n, count);
  for (let j = 0; j < count; j++) train.data.set(all.patches.data.subarray(order[j]! * n, (order[j]! + 1) * n), j * n);
  const learned = await ksvd(train, {
    atoms: K,
    iterations: o.iterations ?? 10,
    errorTarget,
    sparsity: maxAtoms,
    initial: o.initial ?? overcompleteDct2d(n, K),
    seed: (o.seed ?? 0) + 1,
    onIteration: o.onIteration,
    signal: o.signal,
  });
  const D = learned.dictionary;
  const coded = (o.stride ?? 1) === 1 ? all : extractPatches(noisy, height, width, p, o.stride);
  const means = coded === all ? allMeans : removeMeans(coded.patches);
  const codes = batchOmp(D, coded.patches, { errorTarget, sparsity: maxAtoms });
  const estimate = reconstruct(D, codes);
  addMeans(estimate, means);
  const image = assemblePatches(coded, estimate, { noisy, lambda });
  return {
    image,
    dictionary: D,
    stats: learned.stats,
    meanL0: meanL0(codes),
    trainingPatches: count,
    errorTarget,
    lambda,
    seconds: (performance.now() - t0) / 1000,
    stopReason: learned.stopReason,
  };
}
