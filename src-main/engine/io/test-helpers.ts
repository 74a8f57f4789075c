// Shared by the *.test.ts files in this folder; not part of the public API.
import { expect } from 'vitest';
import { DataFormatError } from './errors';

/** Assert that `fn` throws a DataFormatError for `file` whose problem matches `problem`. */
export function expectFormatError(fn: () => unknown, file: string, problem: RegExp): DataFormatError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a DataFormatError').toBeInstanceOf(DataFormatError);
  const err = caught as DataFormatError;
  expect(err.file).toBe(file);
  expect(err.message).toContain(file);
  expect(err.problem).toMatch(problem);
  expect(err.message).toMatch(problem);
  return err;
}

export async function expectFormatErrorAsync(p: Promise<unknown>, file: string, problem: RegExp): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(DataFormatError);
  await p.catch((e: DataFormatError) => {
    expect(e.file).toBe(file);
    expect(e.message).toContain(file);
    expect(e.problem).toMatch(problem);
  });
}

export function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
