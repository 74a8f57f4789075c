import type { LearnMethod } from '../../../src-shared/contract';

/** Learning methods wired into sessions (register.ts registers their implementations in the engine process). */
export const AVAILABLE_METHODS: readonly LearnMethod[] = [];
