/**
 * Root of every error gradnet raises on purpose. `code` is stable for programs; the
 * message is for people and says what to do; `value` carries the offending input, if any.
 */
export class GradnetError extends Error {
  readonly code: string;
  readonly value: unknown;

  constructor(code: string, message: string, options?: { cause?: unknown; value?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.value = options?.value;
  }
}

/** A one-line description of any thrown value for logs and stored reasons (viem's short message when it has one). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && 'shortMessage' in error && typeof error.shortMessage === 'string') return error.shortMessage;
  return error instanceof Error ? error.message : String(error);
}
