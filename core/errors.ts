/**
 * Root of every error gradnet raises on purpose. `code` is stable for programs; the
 * message is for people and says what to do.
 */
export class GradnetError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
