/** ML-ISTA (Sulam, Aberdam, Beck, Elad, TPAMI 2019, Alg. 1): see multi-layer.ts for the iteration. */
import type { Runtime } from '../runtime/session';
import { multiLayerPursuit } from './multi-layer';
import type { PursuitOptions, PursuitProblem, PursuitResult } from './types';

export function mlIsta(runtime: Runtime, problem: PursuitProblem, options: PursuitOptions): Promise<PursuitResult> {
  return multiLayerPursuit(runtime, problem, options, false);
}
