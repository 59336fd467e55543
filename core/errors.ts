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
