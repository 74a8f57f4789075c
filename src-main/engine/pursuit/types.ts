import type { HostTensor, ProviderName } from '../runtime/session';
import type { SynthesisMode } from '../ops/dictionary';

export const ALGORITHMS = ['thr', 'ista', 'fista', 'layered-thr', 'layered-bp', 'ml-ista', 'ml-fista'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export type ThresholdKind = 'soft' | 'soft-nonneg' | 'hard';

export interface LayerSpec {
  /** [m_i, m_{i−1}, k, k] float32. */
  readonly weights: HostTensor;
  readonly stride: number;
  readonly pad: number;
}

export interface PursuitProblem {
  /** [B, C, H, W] float32 (1-D signals: H = 1). */
  readonly signal: HostTensor;
  readonly layers: readonly LayerSpec[];
}

export interface PursuitOptions {
  readonly algorithm: Algorithm;
  /** Per layer: the ℓ1 weight λ_i (ISTA-type pursuits) or the threshold β_i (thresholding pursuits). */
  readonly lambdas: readonly number[];
  /** Iterations (per layer for layered BP); ignored by thresholding. */
  readonly iterations: number;
  /** Stop when the relative change of the deepest code falls below tol (0 disables). */
  readonly tol?: number;
  /** Iterations unrolled in one graph. */
  readonly chunk?: number;
  readonly threshold?: ThresholdKind;
  /** Gradient step c_i per layer; default 1/L_i with L_i = ‖D_i‖₂² by power iteration. */
  readonly stepSizes?: readonly number[];
  readonly synthesis?: SynthesisMode;
  /**
   * FISTA momentum restart when the objective rises (O'Donoghue & Candès 2015). Off by default: on the
   * benchmark problems FISTA's objective does not rise before a 1e-4 gap, so it changed nothing there.
   */
  readonly restart?: boolean;
  /**
   * ISTA/FISTA inpainting: 1 where the signal is known, 0 where it is missing; the data term becomes
   * ½‖M⊙(Y − DΓ)‖² and DΓ fills the gaps.
   */
  readonly mask?: HostTensor;
  /** Warm start for single-layer ISTA/FISTA (the code Γ). */
  readonly initialCode?: HostTensor;
  readonly onProgress?: (event: PursuitProgress) => void;
  readonly signal?: AbortSignal;
}

export interface HistoryPoint {
  readonly iteration: number;
  readonly objective: number;
  readonly seconds: number;
  /** Layer being solved (layered BP), else the deepest layer. */
  readonly layer: number;
}

export interface PursuitProgress {
  readonly algorithm: Algorithm;
  readonly iteration: number;
  readonly totalIterations: number;
  readonly layer: number;
  readonly objective: number;
  readonly relativeChange: number;
  readonly seconds: number;
  /** The codes as they stand (Γ_1…Γ_K, or those computed so far); read them during the callback only. */
  readonly codes?: readonly HostTensor[];
}

export interface LayerReport {
  readonly layer: number;
  /** ½‖Γ_{i−1} − D_iΓ_i‖² + λ_i‖Γ_i‖₁ with Γ_0 = Y. */
  readonly objective: number;
  readonly residual: number;
  readonly l1: number;
  readonly nnz: number;
  /** nnz / size: the ℓ0 density. */
  readonly density: number;
  readonly stepSize?: number;
}

export type StopReason = 'tolerance' | 'iterations' | 'cancelled' | 'single-pass';

export interface PursuitResult {
  readonly algorithm: Algorithm;
  readonly provider: ProviderName;
  readonly codes: HostTensor[];
  readonly history: HistoryPoint[];
  readonly layers: LayerReport[];
  readonly iterations: number;
  readonly stopReason: StopReason;
  readonly seconds: number;
}

/** Raised when a run produces NaN or Inf; the message says where and what to check. */
export class DivergenceError extends Error {
  constructor(readonly algorithm: string, readonly iteration: number, detail: string) {
    super(`${algorithm} diverged at iteration ${iteration}: ${detail}`);
    this.name = 'DivergenceError';
  }
}

/** Raised for inputs that cannot be pursued (NaN in the signal, wrong shapes, bad λ). */
export class PursuitInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PursuitInputError';
  }
}
