/** Registers every learning method with the session runner (imported once by the engine process). */
import { registerLearningMethod } from '../jobs/learning-job';
import { PATCH_METHODS } from './adapters/patch-learners';

for (const [name, impl] of Object.entries(PATCH_METHODS)) registerLearningMethod(name as keyof typeof PATCH_METHODS, impl!);
