/** One entry point for every pursuit, chosen by name. */
import type { Runtime } from '../runtime/session';
import { fista } from './fista';
import { ista } from './ista';
import { layeredBasisPursuit } from './layered-bp';
import { mlFista } from './ml-fista';
import { mlIsta } from './ml-ista';
import { layeredThresholding } from './thresholding';
import { ALGORITHMS, PursuitInputError, type PursuitOptions, type PursuitProblem, type PursuitResult } from './types';

export * from './types';

export function runPursuit(runtime: Runtime, problem: PursuitProblem, options: PursuitOptions): Promise<PursuitResult> {
  switch (options.algorithm) {
    case 'thr':
      return layeredThresholding(runtime, problem, options, true);
    case 'layered-thr':
      return layeredThresholding(runtime, problem, options, false);
    case 'ista':
      return ista(runtime, problem, options);
    case 'fista':
      return fista(runtime, problem, options);
    case 'layered-bp':
      return layeredBasisPursuit(runtime, problem, options);
    case 'ml-ista':
      return mlIsta(runtime, problem, options);
    case 'ml-fista':
      return mlFista(runtime, problem, options);
    default:
      throw new PursuitInputError(`unknown algorithm "${String(options.algorithm)}" (expected one of ${ALGORITHMS.join(', ')})`);
  }
}
