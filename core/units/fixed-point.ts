import { GradnetError } from '../errors.ts';

/**
 * Scale of every fixed-point figure gradnet exchanges: a round's loss and accuracy on chain, an
 * update's train loss on the wire, and the per-owner reward cap. 1.0 is 1,000,000.
 */
export const FIXED_POINT_SCALE = 1_000_000;

/** A value that has no fixed-point form (negative, NaN or infinite). */
export class FixedPointError extends GradnetError {
  constructor(value: unknown) {
    super('FIXED_POINT_RANGE', `a fixed-point figure must be a finite, non-negative number, got ${String(value)}`, { value });
  }
}

/** A float to fixed point (1e6), rounded to nearest; throws on negative or non-finite input. */
export function toFixedPoint(value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new FixedPointError(value);
  return Math.round(value * FIXED_POINT_SCALE);
}

/** A measured metric to fixed point, with a non-finite or negative measurement recorded as 0. */
export function toFixedPointClamped(value: number): number {
  return Number.isFinite(value) && value > 0 ? toFixedPoint(value) : 0;
}

/** Fixed point (1e6) back to a float; accepts the bigint a contract read returns. */
export function fromFixedPoint(value: number | bigint): number {
  return Number(value) / FIXED_POINT_SCALE;
}

/** `amount · fraction` in integer arithmetic, with the fraction taken to fixed point first. */
export function scaleByFraction(amount: bigint, fraction: number): bigint {
  return (amount * BigInt(toFixedPoint(fraction))) / BigInt(FIXED_POINT_SCALE);
}
