/**
 * Zod probes `new Function` to speed up parsing; under this page's CSP (no 'unsafe-eval') the probe is
 * refused and Chromium reports a CSP violation in the console. The probe runs when the first z.object() is
 * built, which happens while src-shared's schemas are imported, so jitless must be set before any of them:
 * main.ts imports this module first.
 */
import { config } from 'zod';

config({ jitless: true });
