/**
 * Raised for any input file that is not a well-formed instance of the format a reader expects.
 * `file` names the source (a path, or whatever name the caller gave an in-memory buffer) and
 * `problem` says what is wrong, so the UI can show both without parsing the message.
 */
export class DataFormatError extends Error {
  readonly file: string;
  readonly problem: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
    this.name = 'DataFormatError';
    this.file = file;
    this.problem = problem;
  }
}

/** Name used in messages when the caller did not say where the bytes came from. */
export const UNNAMED_SOURCE = '<in-memory data>';

export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
