/**
 * The theory workbench's part of the contract: synthetic models with known representations, the measures
 * and bounds of SCIENCE.md held against what a pursuit actually recovers, and phase-transition experiments.
 */
import { z } from 'zod';
import { FilePath, ProviderName, Seed } from './basics';
import { Float32Tensor } from './tensors';

/**
 * The pursuits the theory compares. On a one-layer model `layered-thr` is plain thresholding and
 * `layered-bp` is BP; on a deeper model `omp` and `bp` pursue the deepest code over the effective dictionary
 * D_1⋯D_K (projection pursuit, Sulam et al. 2018) and the shallower codes follow by synthesis.
 */
export const TheoryPursuit = z.enum(['omp', 'bp', 'layered-thr', 'layered-bp', 'ml-fista']);
export type TheoryPursuit = z.infer<typeof TheoryPursuit>;

export const TheoryLayer = z.object({
  filters: z.number().int().min(1).max(256),
  kernel: z.number().int().min(1).max(64),
  stride: z.number().int().min(1).max(8),
  /** Sparse filters: this many non-zeros per filter (SCIENCE.md: keeps the intermediate codes sparse). */
  nonzeros: z.number().int().min(1).max(4096).optional(),
  /** Non-zero filter values: Gaussian, or ±1/√q (equal magnitudes, so |Γ^min|/|Γ^max| survives synthesis). */
  values: z.enum(['gaussian', 'sign']).default('gaussian'),
  /** Lower the filters' mutual coherence towards this value before sampling. */
  targetCoherence: z.number().gt(0).lt(1).optional(),
});
export type TheoryLayer = z.infer<typeof TheoryLayer>;

export const TheoryModel = z.discriminatedUnion('kind', [
  /** One dictionary of `atoms` unit columns in R^n (Sparseland). */
  z.object({
    kind: z.literal('sparseland'),
    n: z.number().int().min(2).max(1024),
    atoms: z.number().int().min(2).max(4096),
    targetCoherence: z.number().gt(0).lt(1).optional(),
  }),
  /** One layer: CSC; several: ML-CSC. Geometry is "valid" (pad 0), so every atom is whole. */
  z.object({
    kind: z.literal('convolutional'),
    dims: z.enum(['1d', '2d']).default('1d'),
    /** Signal length N (1-D) or side H = W (2-D). */
    size: z.number().int().min(2).max(4096),
    channels: z.number().int().min(1).max(16).default(1),
    layers: z.array(TheoryLayer).min(1).max(4),
    /** Load W1…WK from .npy files instead of sampling them (filters/kernel must match the layers). */
    dictionaries: z.array(FilePath).max(4).optional(),
  }),
]);
export type TheoryModel = z.infer<typeof TheoryModel>;
export type TheoryModelInput = z.input<typeof TheoryModel>;

export const TheoryValues = z.object({
  /** |value| of the deepest code's non-zeros drawn from [a, b]: controls |Γ^min|/|Γ^max|. */
  valueRange: z.tuple([z.number().positive(), z.number().positive()]).refine(([a, b]) => a <= b, 'the value range needs a ≤ b'),
  sign: z.enum(['both', 'positive']).default('both'),
  /** `gaussian` draws N(0, 1) values and ignores the range (the noiseless phase transition of the sources). */
  distribution: z.enum(['uniform', 'gaussian']).default('uniform'),
});

export const NoiseKind = z.enum(['none', 'sigma', 'snr', 'patch']);

export const TheorySampling = z.object({
  /** ‖Γ_K‖^s_{0,∞} of the deepest code (‖α‖₀ for Sparseland). */
  sparsity: z.number().int().min(1).max(4096),
  /** Fraction of the greedy maximal fill placed (1: as many non-zeros as the stripe limit allows). */
  fill: z.number().gt(0).max(1).default(1),
  values: TheoryValues,
  /** sigma: Gaussian σ; snr: dB; patch: ‖E‖^p_{2,∞} exactly (‖E‖₂ for Sparseland). */
  noise: z.object({ kind: NoiseKind, value: z.number().nonnegative().max(1e6).default(0) }),
  count: z.number().int().min(1).max(256).default(1),
  seed: Seed.default(0),
});
export type TheorySampling = z.infer<typeof TheorySampling>;

export const TheoryPursuitChoice = z.object({
  pursuit: TheoryPursuit,
  /** λ (BP), β (thresholding) or ξ (layered BP) per layer; omitted: the value the theorem prescribes. */
  lambdas: z.array(z.number().nonnegative().finite()).min(1).max(4).optional(),
  iterations: z.number().int().min(1).max(20000).default(400),
  /** Layered thresholding only: soft (S_β, Papyan–Romano–Elad Thm 2) or hard (H_β, Elad's lecture, slide 49). */
  threshold: z.enum(['soft', 'hard']).default('soft'),
});

export const TheoryAnalyzeParams = z
  .object({
    model: TheoryModel,
    sampling: TheorySampling,
    pursuits: z.array(TheoryPursuitChoice).min(1).max(5),
    providers: z.array(ProviderName).min(1).optional(),
  })
  .strict();
export type TheoryAnalyzeParams = z.infer<typeof TheoryAnalyzeParams>;
export type TheoryAnalyzeInput = z.input<typeof TheoryAnalyzeParams>;

export const TheoremRef = z.object({ name: z.string(), source: z.string() });

/** Measured properties of one layer's dictionary. */
export const DictionaryReport = z.object({
  layer: z.number().int().positive(),
  filters: z.number().int().positive(),
  channels: z.number().int().positive(),
  kernel: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  stride: z.number().int().positive(),
  mu: z.number().min(0),
  welch: z.number().min(0),
  /** [m, m]: max |normalised correlation| of each filter pair over all overlapping shifts (Sparseland: the Gram). */
  coherence: Float32Tensor,
});

/** Worst case over the sampled signals of the ground truth's local measures, per layer. */
export const CodeReport = z.object({
  layer: z.number().int().positive(),
  shape: z.array(z.number().int().positive()),
  stripe: z.number().int().nonnegative(),
  patch: z.number().int().nonnegative(),
  gammaMin: z.number().min(0),
  gammaMax: z.number().min(0),
  nnz: z.number().int().nonnegative(),
});

/** One layer of one pursuit: the theorem's condition and bound next to what was measured. */
export const LayerVerdict = z.object({
  layer: z.number().int().positive(),
  theorem: TheoremRef.nullable(),
  /** The sparsity limit the theorem sets; `holds` tells whether the sample is below it (and β admissible). */
  condition: z.number().nullable(),
  holds: z.boolean().nullable(),
  /** The error bound the theorem gives, in the norm `norm`. */
  predicted: z.number().nullable(),
  norm: z.enum(['p2inf', 'linf', 'l2']),
  /** Measured error in the same norm, worst case over the signals. */
  measured: z.number(),
  /** λ/β/ξ the pursuit used on this layer. */
  parameter: z.number(),
  precision: z.number().min(0).max(1),
  recall: z.number().min(0).max(1),
  /** Fraction of the signals whose support was recovered exactly. */
  exact: z.number().min(0).max(1),
});
export type LayerVerdict = z.infer<typeof LayerVerdict>;

export const PursuitReport = z.object({
  pursuit: TheoryPursuit,
  seconds: z.number().nonnegative(),
  provider: z.union([ProviderName, z.literal('float64')]),
  layers: z.array(LayerVerdict),
  /** D_1Γ̂_1 of the first signal, for display. */
  reconstruction: Float32Tensor,
});
export type PursuitReport = z.infer<typeof PursuitReport>;

export const TheoryReport = z.object({
  dictionaries: z.array(DictionaryReport),
  codes: z.array(CodeReport),
  /** ‖E‖^p_{2,∞} (‖E‖₂ for Sparseland), worst case over the signals; 0 without noise. */
  noisePatch: z.number().min(0),
  noiseSigma: z.number().min(0),
  pursuits: z.array(PursuitReport),
  /** The first signal, clean and noisy, as [H, W] (1-D: [1, N]; Sparseland: [1, n]). */
  clean: Float32Tensor,
  noisy: Float32Tensor,
  /** Per layer, the effective atoms D_1⋯D_i as images [m_i, h, w]. */
  atoms: z.array(z.object({ layer: z.number().int().positive(), images: Float32Tensor })),
});
export type TheoryReport = z.infer<typeof TheoryReport>;

// ---- phase transitions -------------------------------------------------------------------------------------

export const PhaseConfig = z
  .object({
    name: z.string().max(200).optional(),
    model: TheoryModel,
    pursuits: z.array(TheoryPursuit).min(1).max(5),
    /** The grid's sparsity axis: ‖Γ_K‖^s_{0,∞} (‖α‖₀ for Sparseland). */
    sparsities: z.array(z.number().int().min(1).max(4096)).min(1).max(64),
    /** The grid's noise axis, read as `noiseKind` (0: noiseless). */
    noise: z.array(z.number().nonnegative().max(1e6)).min(1).max(16).default([0]),
    noiseKind: NoiseKind.exclude(['none']).default('patch'),
    trials: z.number().int().min(1).max(1000).default(20),
    /** Uniform magnitudes in [0.2, 1] by default: Gaussian values (the sources' choice) include coefficients
     *  too small for any float32 pursuit to resolve, which turns the chart's noise floor into noise. */
    values: TheoryValues.default({ valueRange: [0.2, 1], sign: 'both', distribution: 'uniform' }),
    fill: z.number().gt(0).max(1).default(1),
    iterations: z.number().int().min(1).max(20000).default(300),
    threshold: z.enum(['soft', 'hard']).default('soft'),
    seed: Seed.default(0),
    providers: z.array(ProviderName).min(1).optional(),
  })
  .strict();
export type PhaseConfig = z.infer<typeof PhaseConfig>;
export type PhaseConfigInput = z.input<typeof PhaseConfig>;

export const PhaseResult = z.object({
  pursuits: z.array(TheoryPursuit),
  sparsities: z.array(z.number()),
  noise: z.array(z.number()),
  noiseKind: z.string(),
  trials: z.number().int(),
  /** success[p][n][s]: fraction of trials whose support pursuit p recovered, at noise n and sparsity s. */
  success: z.array(z.array(z.array(z.number().min(0).max(1).nullable()))),
  /** Mean relative ℓ2 error of the deepest code, same indexing. */
  error: z.array(z.array(z.array(z.number().nullable()))),
  /** Largest ‖Γ_K‖^s_{0,∞} sampled per [n][s] (it falls short of the request when the code has no room). */
  achieved: z.array(z.array(z.number().nullable())),
  cellsDone: z.number().int().nonnegative(),
  cellsTotal: z.number().int().positive(),
  /** μ of each layer's dictionary and the theorems' sparsity limits drawn on the chart. */
  mu: z.array(z.number()),
  welch: z.array(z.number()),
  bounds: z.object({ success: z.number(), bp: z.number() }),
});
export type PhaseResult = z.infer<typeof PhaseResult>;

// ---- theory of a run's learned dictionaries -----------------------------------------------------------------

/** One layer of a run's dictionaries held against the coherence bounds (SCIENCE.md, CSC and ML-CSC sections). */
export const RunLayerTheory = z.object({
  layer: z.number().int().positive(),
  /** m_i atoms of c_i channels, kernel k_i×k_i (Sparseland: patch atoms, kernel = patch side). */
  atoms: z.number().int().positive(),
  channels: z.number().int().positive(),
  kernel: z.number().int().positive(),
  stride: z.number().int().positive(),
  /** Mutual coherence of D_i: over all atom pairs and all overlapping shifts for a convolutional layer. */
  coherence: z.number().min(0).max(1),
  /** The Welch bound (convolutional Welch bound for a convolutional layer) for this geometry. */
  welch: z.number().min(0).max(1),
  /** ½(1 + 1/μ): below it (in ‖Γ_i‖s0,∞, or ‖γ‖0 for Sparseland) the representation is unique and OMP/BP recover it. */
  sparsityBound: z.number().positive(),
  /** Measured on the run's saved codes of this layer, when it saved any. */
  stripeSparsity: z.number().int().nonnegative().optional(),
  density: z.number().min(0).max(1).optional(),
  /** stripeSparsity < sparsityBound. */
  holds: z.boolean().optional(),
});
export type RunLayerTheory = z.infer<typeof RunLayerTheory>;

export const RunTheory = z.object({
  runId: z.string(),
  model: z.enum(['sparseland', 'convolutional']),
  layers: z.array(RunLayerTheory),
  /** Why some figures are missing (no codes saved, a dictionary too large to measure…). */
  note: z.string().optional(),
});
export type RunTheory = z.infer<typeof RunTheory>;
