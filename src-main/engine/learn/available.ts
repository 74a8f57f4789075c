import type { LearnMethod } from '../../../src-shared/contract';

/**
 * Learning methods wired into sessions (register.ts registers their implementations in the engine
 * process). A plain list, so the host can answer sessions.methods without loading the engine.
 */
export const AVAILABLE_METHODS: readonly LearnMethod[] = ['ksvd', 'mod', 'online-dl', 'cdl', 'mlcsc-unsupervised', 'unrolled-supervised'];
