import { GradnetError } from '../errors.ts';

/** A round configuration that does not validate. */
export class RoundConfigError extends GradnetError {
  readonly value: unknown;

  constructor(message: string, value: unknown) {
    super('ROUND_CONFIG', message);
    this.value = value;
  }
}
