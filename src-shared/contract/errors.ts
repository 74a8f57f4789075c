import type { ErrorCode, StudioErrorShape } from './schemas';

/** An error that crosses the contract: a code for programs and a message for people. */
export class StudioError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly where?: string,
  ) {
    super(message);
    this.name = 'StudioError';
  }

  toShape(): StudioErrorShape {
    return this.where ? { code: this.code, message: this.message, where: this.where } : { code: this.code, message: this.message };
  }

  static from(shape: StudioErrorShape): StudioError {
    return new StudioError(shape.code, shape.message, shape.where);
  }
}

/** Formats a zod error as one readable sentence naming the fields. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
    .join('; ');
}
