import { GradnetError } from '../errors.ts';

/** A kernel that could not be compiled or loaded, or was called with shapes it does not serve. */
export class KernelError extends GradnetError {
  constructor(code: string, message: string, value: unknown, options?: { cause?: unknown }) {
    super(code, message, { ...options, value });
  }
}
