// core/units: fixed-point conversion (1e6) for chain metrics, wire train losses and reward caps,
// so that every producer and every reader of those figures agrees on one scale and rounding.
export { FIXED_POINT_SCALE, FixedPointError, fromFixedPoint, scaleByFraction, toFixedPoint, toFixedPointClamped } from './fixed-point.ts';
