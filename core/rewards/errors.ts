import { GradnetError } from '../errors.ts';

/** Root of the errors core/rewards raises; `value` carries the offending input. */
export class RewardsError extends GradnetError {
  constructor(message: string, value: unknown, options?: { cause?: unknown }) {
    super('REWARDS', message, { ...options, value });
  }
}
