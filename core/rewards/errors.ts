import { GradnetError } from '../errors.ts';

/** Root of the errors core/rewards raises; `value` carries the offending input. */
export class RewardsError extends GradnetError {
  readonly value: unknown;

  constructor(message: string, value: unknown, options?: { cause?: unknown }) {
    super('REWARDS', message, options);
    this.value = value;
  }
}
