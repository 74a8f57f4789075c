/** ML-FISTA (Sulam, Aberdam, Beck, Elad, TPAMI 2019, Alg. 2): ML-ISTA with FISTA momentum on Γ_K. */
import type { Runtime } from '../runtime/session';
import { multiLayerPursuit } from './multi-layer';
import type { PursuitOptions, PursuitProblem, PursuitResult } from './types';

export function mlFista(runtime: Runtime, problem: PursuitProblem, options: PursuitOptions): Promise<PursuitResult> {
  return multiLayerPursuit(runtime, problem, options, true);
}
