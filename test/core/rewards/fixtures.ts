import type { Hex } from 'viem';

/**
 * A real loss to score against: squared distance to a target vector. Updates that move toward the
 * target reduce it; zero, sign-flipped and random ones do not.
 */
export const target = Float32Array.from({ length: 64 }, (_, k) => Math.sin(k + 1));
export const params = new Float32Array(64);
export async function evaluateLoss(candidate: Float32Array): Promise<number> {
  let loss = 0;
  for (let k = 0; k < candidate.length; k++) loss += (candidate[k] - target[k]) ** 2;
  return loss / candidate.length;
}
export const node = (i: number): Hex => `0x${i.toString(16).padStart(40, '0')}`;
export const digest = (i: number): Hex => `0x${i.toString(16).padStart(64, '0')}`;
/** `fraction` of the way to the target, plus a deterministic wobble of size `noise`. */
export const toward = (fraction: number, noise = 0, phase = 0): Float32Array => target.map((t, k) => fraction * t + noise * Math.cos(7 * k + phase));
