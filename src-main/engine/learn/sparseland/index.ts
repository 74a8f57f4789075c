/**
 * Sparseland on a single dictionary, in float64 TypeScript: OMP / Batch-OMP, the overcomplete DCT, the
 * dictionary learners MOD, K-SVD and online DL (resumable, cancellable, with per-iteration statistics),
 * and K-SVD image denoising with PSNR/SSIM.
 */
export { cholesky, choleskySolve, col, columnNorms, gemm, gemmTN, gemvT, gram, mat, normalizeColumns, ProgressiveCholesky, rank1, type Mat, type Rank1 } from './dense';
export { atomUsage, CodeBuilder, denseCodes, meanL0, reconstruct, residual, squaredErrors, type SparseCodes } from './codes';
export { batchOmp, omp, OmpInputError, type BatchOmpOptions, type OmpOptions, type OmpResult } from './omp';
export { overcompleteDct1d, overcompleteDct2d } from './dct';
export {
  atomRecovery,
  LearnInputError,
  mutualCoherence,
  replaceAtoms,
  SeededStream,
  type DriverOptions,
  type IterationStats,
  type LearnResult,
  type LearnStopReason,
  type ReplacementOptions,
  type RngState,
} from './learning';
export {
  cloneKsvdState,
  createKsvdState,
  ksvd,
  ksvdIteration,
  ksvdStateFromArrays,
  ksvdStateToArrays,
  updateAtoms,
  type KsvdIterationOptions,
  type KsvdOptions,
  type KsvdResult,
  type KsvdState,
} from './ksvd';
export { createModState, mod, modDictionary, modIteration, modStateFromArrays, modStateToArrays, type ModOptions, type ModResult, type ModState } from './mod';
export {
  cloneOnlineDlState,
  createOnlineDlState,
  onlineDictionaryLearning,
  onlineDictionaryUpdate,
  onlineDlIteration,
  onlineDlStateFromArrays,
  onlineDlStateToArrays,
  type OnlineDlOptions,
  type OnlineDlResult,
  type OnlineDlState,
} from './online-dl';
export { addMeans, assemblePatches, extractPatches, patchOrigins, removeMeans, type PatchSet } from './patches';
export { ksvdDenoise, type KsvdDenoiseOptions, type KsvdDenoiseResult } from './denoise';
export { addGaussianNoise, mse, psnr, ssim, type SsimOptions } from './metrics';
export { randomUnitDictionary, sparseSignals, type SparseSignals } from './synthetic';
