/** Registers every learning method with the session runner (imported once by the engine process). */
import { registerLearningMethod } from '../jobs/learning-job';
import { PATCH_METHODS } from './adapters/patch-learners';
import { UNROLLED_METHOD } from './adapters/unrolled';
import { CDL_METHOD, MLCSC_METHOD } from './adapters/convolutional';

for (const [name, impl] of Object.entries(PATCH_METHODS)) registerLearningMethod(name as keyof typeof PATCH_METHODS, impl!);
registerLearningMethod('unrolled-supervised', UNROLLED_METHOD);
registerLearningMethod('cdl', CDL_METHOD);
registerLearningMethod('mlcsc-unsupervised', MLCSC_METHOD);
