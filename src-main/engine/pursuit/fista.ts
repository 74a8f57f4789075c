/**
 * FISTA for convolutional BP (Beck–Teboulle 2009): the ISTA step taken from the extrapolated point
 * Z = Γ_k + ((t_k − 1)/t_{k+1})(Γ_k − Γ_{k−1}), t_{k+1} = (1 + √(1 + 4t_k²))/2. O(1/k²) objective convergence.
 */
import type { Runtime } from '../runtime/session';
import { ista } from './ista';
import type { PursuitOptions, PursuitProblem, PursuitResult } from './types';

export function fista(runtime: Runtime, problem: PursuitProblem, options: PursuitOptions): Promise<PursuitResult> {
  return ista(runtime, problem, options, true);
}
