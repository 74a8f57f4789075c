/** Registers every learning method with the session runner (imported once by the engine process). */
import { registerLearningMethod } from '../jobs/learning-job';
import { PATCH_METHODS } from './adapters/patch-learners';
import { UNROLLED_METHOD } from './adapters/unrolled';

for (const [name, impl] of Object.entries(PATCH_METHODS)) registerLearningMethod(name as keyof typeof PATCH_METHODS, impl!);
registerLearningMethod('unrolled-supervised', UNROLLED_METHOD);
