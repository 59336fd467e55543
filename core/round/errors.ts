import { GradnetError } from '../errors.ts';

/** A round configuration that does not validate. */
export class RoundConfigError extends GradnetError {
  constructor(message: string, value: unknown) {
    super('ROUND_CONFIG', message, { value });
  }
}
