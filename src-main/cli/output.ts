/** Output conventions shared by the commands: JSON on stdout for scripts, messages on stderr for people. */
import { DataFormatError } from '../engine/io';
import { DivergenceError, PursuitInputError } from '../engine/pursuit';
import { ShapeError } from '../engine/graph/shapes';
import { StudioError } from '../../src-shared/contract';

/** An error the user can fix; printed without a stack trace. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

const USER_ERRORS = [CliError, DataFormatError, PursuitInputError, DivergenceError, ShapeError, StudioError];

export function reportError(err: unknown, json: boolean): number {
  const known = USER_ERRORS.some((E) => err instanceof E);
  const message = err instanceof Error ? err.message : String(err);
  if (json) process.stdout.write(`${JSON.stringify({ error: { kind: err instanceof Error ? err.name : 'Error', message } })}\n`);
  process.stderr.write(`sparseland: ${message}\n`);
  if (!known && err instanceof Error && err.stack && process.env.SPARSELAND_DEBUG) process.stderr.write(`${err.stack}\n`);
  return 1;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A one-line progress bar on stderr, only when stderr is a terminal. */
export function progressBar(label: string): { update(fraction: number, detail: string): void; done(): void } {
  const tty = process.stderr.isTTY;
  return {
    update(fraction, detail) {
      if (!tty) return;
      const width = 30;
      const filled = Math.round(Math.min(Math.max(fraction, 0), 1) * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${detail}   `);
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

export function parseList(value: string, what: string, parse: (s: string) => number = Number): number[] {
  const items = value.split(',').map((s) => s.trim());
  const out = items.map(parse);
  const bad = items.findIndex((s, i) => s === '' || !Number.isFinite(out[i]!));
  if (bad >= 0) throw new CliError(`${what}: "${items[bad]}" is not a number (expected a comma-separated list such as 0.1,0.05)`);
  return out;
}
