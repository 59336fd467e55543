import { AggregationConfigError, AggregationInputError } from './errors.ts';

/** DiLoCo's outer optimizer defaults (Douillard et al. 2023): Nesterov SGD, lr 0.7, momentum 0.9. */
export const OUTER_DEFAULTS = { lr: 0.7, momentumFactor: 0.9, nesterov: true } as const;

export interface OuterStepInput {
  params: Float32Array;
  /** The optimizer's momentum buffer from the previous checkpoint; absent in the first round (zeros). */
  momentum?: Float32Array;
  /** The aggregated pseudo-gradient, local − global; the outer gradient is −delta. */
  delta: Float32Array;
  lr?: number;
  momentumFactor?: number;
  nesterov?: boolean;
  /**
   * Decoupled weight decay (SGDW/AdamW style): θ ← θ − lr·(step + wd·θ), the decay outside the
   * momentum buffer so it shrinks the weights by lr·wd per round without being amplified by μ.
   * 0 (the default) is the plain step, bit for bit.
   */
  weightDecay?: number;
}

export interface OuterStepResult {
  params: Float32Array;
  momentum: Float32Array;
}

/**
 * One outer step of SGD with (Nesterov) momentum on the outer gradient g = −delta, the way
 * PyTorch's SGD does it: m ← μ·m + g; step = g + μ·m (Nesterov) or m; θ ← θ − lr·(step + wd·θ). Computed in
 * float64 per coordinate and rounded to float32; the rounded momentum is what the step uses, so a
 * peer resuming from the checkpoint's momentum computes the same bytes. Returns new arrays.
 */
export function outerStep(input: OuterStepInput): OuterStepResult {
  const { params, delta } = input;
  const lr = input.lr ?? OUTER_DEFAULTS.lr;
  const mu = input.momentumFactor ?? OUTER_DEFAULTS.momentumFactor;
  const nesterov = input.nesterov ?? OUTER_DEFAULTS.nesterov;
  const weightDecay = input.weightDecay ?? 0;
  if (!(Number.isFinite(lr) && lr > 0)) {
    throw new AggregationConfigError(`outer learning rate ${lr} must be a positive number (DiLoCo uses 0.7)`, lr);
  }
  if (!(Number.isFinite(mu) && mu >= 0 && mu < 1)) {
    throw new AggregationConfigError(`outer momentum ${mu} must be in [0, 1) (DiLoCo uses 0.9)`, mu);
  }
  if (!(Number.isFinite(weightDecay) && weightDecay >= 0 && lr * weightDecay < 1)) {
    throw new AggregationConfigError(`outer weight decay ${weightDecay} must be a number ≥ 0 with lr × decay below 1 (lr ${lr}); try 0.01 or less`, weightDecay);
  }
  if (delta.length !== params.length) {
    throw new AggregationInputError(`delta has ${delta.length} values but the model has ${params.length}; aggregate updates for this model`, delta.length);
  }
  if (input.momentum && input.momentum.length !== params.length) {
    throw new AggregationInputError(
      `momentum buffer has ${input.momentum.length} values but the model has ${params.length}; load the momentum of this model's checkpoint`,
      input.momentum.length,
    );
  }
  const previous = input.momentum;
  const nextParams = new Float32Array(params.length);
  const nextMomentum = new Float32Array(params.length);
  for (let k = 0; k < params.length; k++) {
    const gradient = -delta[k];
    nextMomentum[k] = mu * (previous ? previous[k] : 0) + gradient;
    const step = nesterov ? gradient + mu * nextMomentum[k] : nextMomentum[k];
    // Left out when 0 rather than multiplied by 0, which would turn a −0 weight into +0.
    nextParams[k] = params[k] - lr * (weightDecay === 0 ? step : step + weightDecay * params[k]);
  }
  return { params: nextParams, momentum: nextMomentum };
}
