#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx sparseland` works right after `npm ci`, no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src-main/cli/main.ts');
process.exitCode = await main(process.argv);
