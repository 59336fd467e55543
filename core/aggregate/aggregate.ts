import type { Hex } from 'viem';
import { BLOCK_LENGTH } from './blocks.ts';
import { centeredClip } from './centeredClip.ts';
import {
  parseAggregationRule,
  type AggregationRule,
  type AggregationRuleInput,
  type AggregationRuleName,
  type NormClip,
} from './config.ts';
import { trimmedMeanCoordinates } from './coordinateWise.ts';
import { AggregationInputError } from './errors.ts';
import { addBlockStatistics, weightedSum } from './mean.ts';
import { gramMatrix, meanOfSelected, selectMultiKrum } from './multiKrum.ts';
import { medianOf, sumSquaresRange } from './vector.ts';

/** One accepted update: `digest` identifies it (the order key), `delta` = local − global params. */
export interface AggregationUpdate {
  readonly digest: Hex;
  readonly delta: Float32Array;
  readonly samples: number;
}

/** Per-update figures, in digest order. */
export interface UpdateStats {
  digest: Hex;
  samples: number;
  /** Norm of the update as received. */
  norm: number;
  /** Factor norm clipping applied (1 = untouched). */
  clipScale: number;
  /** Cosine of the update to the aggregate (0 if either is zero). */
  cosine: number;
  /**
   * Whether the update counted at full weight: Multi-Krum's chosen ones; for centered clipping the
   * ones the last iteration did not clip; for the cosine-weighted mean the ones above minCosine;
   * always true for mean, median and trimmed mean.
   */
  selected: boolean;
  /** Multi-Krum only: summed squared distance to its nearest neighbours (lower is more central). */
  krumScore?: number;
  /** Centered clipping only: its weight min(1, τ/distance) in the last iteration. */
  centeredClipWeight?: number;
  /** Cosine-weighted mean only: its cosine to the coordinate median, the weight it counted with (0 at or below minCosine). */
  referenceCosine?: number;
}

export interface AggregationStats {
  rule: AggregationRuleName;
  /** The validated rule with defaults filled in. */
  config: AggregationRule;
  count: number;
  length: number;
  /** The norm updates were clipped to, or null without clipping. */
  clipNorm: number | null;
  aggregateNorm: number;
  selected: number;
  /** Digests of the updates that did not count at full weight (see UpdateStats.selected). */
  rejected: Hex[];
  /** Multi-Krum only: f and m after capping to the round's update count. */
  multiKrum?: { f: number; m: number };
  /** Centered clipping only: the radius used. */
  centeredClip?: { tau: number; iterations: number };
  updates: UpdateStats[];
}

export interface AggregationResult {
  delta: Float32Array;
  stats: AggregationStats;
}

export interface AggregateOptions {
  /** Refuse updates whose length differs (the model's parameter count). */
  expectedLength?: number;
}

const hexPattern = /^0x[0-9a-fA-F]+$/;

function checkUpdates(updates: readonly AggregationUpdate[], expectedLength: number | undefined): number {
  if (!Array.isArray(updates) || updates.length === 0) {
    throw new AggregationInputError('no updates to aggregate; wait for at least one accepted update', updates);
  }
  const length = expectedLength ?? updates[0].delta?.length;
  for (const update of updates) {
    if (typeof update.digest !== 'string' || !hexPattern.test(update.digest)) {
      throw new AggregationInputError(`update digest ${JSON.stringify(update.digest)} is not 0x-prefixed hex; pass the payload digest`, update.digest);
    }
    if (!(update.delta instanceof Float32Array)) {
      throw new AggregationInputError(`update ${update.digest} has no Float32Array delta; decode the payload first`, update.delta);
    }
    if (update.delta.length !== length || length === 0) {
      throw new AggregationInputError(
        `update ${update.digest} has ${update.delta.length} parameters, expected ${length}; every update must match the model`,
        update.delta.length,
      );
    }
    if (!Number.isSafeInteger(update.samples) || update.samples <= 0) {
      throw new AggregationInputError(`update ${update.digest} claims ${update.samples} samples; it must be a positive integer`, update.samples);
    }
  }
  return length;
}

/** Lexicographic order of two float32 vectors by bit pattern; only consulted for equal digests. */
function compareBits(a: Float32Array, b: Float32Array): number {
  const left = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const right = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let k = 0; k < left.length; k++) if (left[k] !== right[k]) return left[k] - right[k];
  return 0;
}

/**
 * The canonical order every receiver uses: by digest (case-insensitive), then samples, then
 * content, so even two updates sharing a digest (a replayed payload) have one order.
 */
export function canonicalOrder<T extends AggregationUpdate>(updates: readonly T[]): T[] {
  const keyed = updates.map((update) => ({ update, key: update.digest.toLowerCase() }));
  keyed.sort((a, b) => {
    if (a.key !== b.key) return a.key < b.key ? -1 : 1;
    return a.update.samples - b.update.samples || compareBits(a.update.delta, b.update.delta);
  });
  return keyed.map(({ update }) => update);
}

/** The clip norm (null without clipping) and each update's resulting scale factor. */
function clipScales(clip: NormClip | undefined, norms: Float64Array): { clipNorm: number | null; scales: Float64Array } {
  const clipNorm = !clip ? null : clip.mode === 'fixed' ? clip.maxNorm : clip.factor * medianOf(norms);
  const scales = Float64Array.from(norms, (norm) => (clipNorm !== null && norm > clipNorm ? clipNorm / norm : 1));
  return { clipNorm, scales };
}

function normsOf(deltas: readonly Float32Array[], length: number): Float64Array {
  return Float64Array.from(deltas, (delta) => Math.sqrt(sumSquaresRange(delta, 0, length)));
}

/** update_i · aggregate for every update, blocked so each aggregate block is reused from cache. */
function dotsWith(updates: readonly Float32Array[], aggregate: Float32Array): Float64Array {
  const dots = new Float64Array(updates.length);
  for (let start = 0; start < aggregate.length; start += BLOCK_LENGTH) {
    addBlockStatistics(updates, aggregate, start, Math.min(aggregate.length, start + BLOCK_LENGTH), { dots });
  }
  return dots;
}

/** A rule's result: the aggregate with the per-update figures it gathered along the way. */
interface RuleOutcome {
  delta: Float32Array;
  norms: Float64Array;
  clipNorm: number | null;
  scales: Float64Array;
  dots: Float64Array;
  selected: boolean[];
  /** Σ delta[k]², when the rule's own pass gathered it. */
  aggregateSquares?: number;
  extra?: Pick<AggregationStats, 'multiKrum' | 'centeredClip'>;
  perUpdate?: (i: number) => Pick<UpdateStats, 'krumScore' | 'centeredClipWeight' | 'referenceCosine'>;
}

/**
 * Norms and clip scales ahead of the rule's pass when clipping needs them; otherwise the pass
 * gathers the norms itself (`sumSquares`), since at a million parameters every extra pass over 16
 * updates costs about as much as the mean itself.
 */
interface Preparation {
  norms: Float64Array | null;
  clipNorm: number | null;
  scales: Float64Array;
  sumSquares?: Float64Array;
}

function prepare(clip: NormClip | undefined, ordered: readonly AggregationUpdate[], deltas: readonly Float32Array[], length: number): Preparation {
  if (!clip) return { norms: null, clipNorm: null, scales: new Float64Array(deltas.length).fill(1), sumSquares: new Float64Array(deltas.length) };
  const norms = checkedNorms(normsOf(deltas, length), ordered);
  return { norms, ...clipScales(clip, norms) };
}

/** The norms, once no update is found to hold NaN or an infinity (which makes its norm non-finite). */
function checkedNorms(norms: Float64Array, ordered: readonly AggregationUpdate[]): Float64Array {
  const bad = norms.findIndex((norm) => !Number.isFinite(norm));
  if (bad >= 0) {
    throw new AggregationInputError(`update ${ordered[bad].digest} contains NaN or infinite values; reject it before aggregation`, ordered[bad].digest);
  }
  return norms;
}

/** Runs the rule, gathering norms and dot products in the passes it makes anyway where it can. */
function applyRule(rule: AggregationRule, ordered: readonly AggregationUpdate[], length: number): RuleOutcome {
  const deltas = ordered.map((update) => update.delta);
  const n = deltas.length;
  const everyone = new Array<boolean>(n).fill(true);
  const dots = new Float64Array(n);
  if (rule.rule === 'multiKrum') {
    const gram = gramMatrix(deltas, length);
    const norms = checkedNorms(Float64Array.from(deltas, (_, i) => Math.sqrt(gram[i * n + i])), ordered);
    const { clipNorm, scales } = clipScales(rule.clip, norms);
    const selection = selectMultiKrum(gram, scales, rule);
    const { mean, dots: krumDots, meanSquares } = meanOfSelected(deltas, gram, scales, selection, length);
    return {
      delta: mean,
      aggregateSquares: meanSquares,
      norms,
      clipNorm,
      scales,
      dots: krumDots,
      selected: selection.selected,
      extra: { multiKrum: { f: selection.f, m: selection.m } },
      perUpdate: (i) => ({ krumScore: selection.scores[i] }),
    };
  }

  const prepared = prepare(rule.clip, ordered, deltas, length);
  const { clipNorm, scales, sumSquares } = prepared;
  const normsAfterPass = (): Float64Array => prepared.norms ?? checkedNorms(sumSquares!.map(Math.sqrt), ordered);
  switch (rule.rule) {
    case 'mean': {
      const weightOf = (update: AggregationUpdate): number => (rule.weighting === 'uniform' ? 1 : update.samples);
      const totalWeight = ordered.reduce((sum, update) => sum + weightOf(update), 0);
      const weights = Float64Array.from(scales, (scale, i) => (scale * weightOf(ordered[i])) / totalWeight);
      const resultSquares = new Float64Array(1);
      const delta = weightedSum(deltas, weights, length, { sumSquares, dots, resultSquares });
      return { delta, norms: normsAfterPass(), clipNorm, scales, dots, selected: everyone, aggregateSquares: resultSquares[0] };
    }
    case 'median':
    case 'trimmedMean': {
      const trim = rule.rule === 'median' ? Math.floor((n - 1) / 2) : Math.floor(rule.beta * n);
      const delta = trimmedMeanCoordinates(deltas, scales, length, trim, { sumSquares, dots });
      return { delta, norms: normsAfterPass(), clipNorm, scales, dots, selected: everyone };
    }
    case 'cosineWeighted': {
      const reference = trimmedMeanCoordinates(deltas, scales, length, Math.floor((n - 1) / 2), { sumSquares });
      const norms = normsAfterPass();
      const referenceNorm = Math.sqrt(sumSquaresRange(reference, 0, length));
      const cosines = Float64Array.from(dotsWith(deltas, reference), (dot, i) => (norms[i] > 0 && referenceNorm > 0 ? dot / (norms[i] * referenceNorm) : 0));
      const floor = Math.max(rule.minCosine, rule.relativeFloor * medianOf(cosines));
      const trust = cosines.map((cosine) => (cosine > floor ? cosine : 0));
      const totalTrust = trust.reduce((sum, value) => sum + value, 0);
      const selected = Array.from(trust, (value) => value > 0);
      // No update agrees with the median (all zero, or scattered): the median itself is the safest step.
      if (totalTrust === 0) {
        return { delta: reference, norms, clipNorm, scales, dots: dotsWith(deltas, reference), selected, perUpdate: (i) => ({ referenceCosine: cosines[i] }) };
      }
      const weights = Float64Array.from(trust, (value, i) => (value * scales[i]) / totalTrust);
      const resultSquares = new Float64Array(1);
      const delta = weightedSum(deltas, weights, length, { dots, resultSquares });
      return { delta, norms, clipNorm, scales, dots, selected, aggregateSquares: resultSquares[0], perUpdate: (i) => ({ referenceCosine: cosines[i] }) };
    }
    case 'centeredClip': {
      const result = centeredClip(deltas, scales, length, rule, { sumSquares });
      return {
        delta: result.center,
        norms: normsAfterPass(),
        clipNorm,
        scales,
        dots: dotsWith(deltas, result.center),
        selected: Array.from(result.finalWeights, (weight) => weight === 1),
        extra: { centeredClip: { tau: result.tau, iterations: rule.iterations } },
        perUpdate: (i) => ({ centeredClipWeight: result.finalWeights[i] }),
      };
    }
  }
}

/**
 * Aggregates one round's updates with `rule` (a name or `{ rule, ...params }`, validated): sorts
 * them into canonical order, clips norms if the rule says so, applies the rule, and reports
 * per-update statistics. Pure and deterministic: the same updates in any order give the same bytes.
 * Throws AggregationInputError for empty input, mismatched lengths, non-finite values or bad
 * digests, and AggregationConfigError for an invalid rule.
 */
export function aggregate(
  ruleInput: AggregationRuleInput,
  updates: readonly AggregationUpdate[],
  options: AggregateOptions = {},
): AggregationResult {
  const rule = parseAggregationRule(ruleInput);
  const length = checkUpdates(updates, options.expectedLength);
  const ordered = canonicalOrder(updates);
  const outcome = applyRule(rule, ordered, length);
  const { norms, scales, dots } = outcome;
  const aggregateNorm = Math.sqrt(outcome.aggregateSquares ?? sumSquaresRange(outcome.delta, 0, length));
  const perUpdate: UpdateStats[] = ordered.map((update, i) => ({
    digest: update.digest,
    samples: update.samples,
    norm: norms[i],
    clipScale: scales[i],
    cosine: norms[i] > 0 && aggregateNorm > 0 ? dots[i] / (norms[i] * aggregateNorm) : 0,
    selected: outcome.selected[i],
    ...outcome.perUpdate?.(i),
  }));
  return {
    delta: outcome.delta,
    stats: {
      rule: rule.rule,
      config: rule,
      count: ordered.length,
      length,
      clipNorm: outcome.clipNorm,
      aggregateNorm,
      selected: perUpdate.filter((update) => update.selected).length,
      rejected: perUpdate.filter((update) => !update.selected).map((update) => update.digest),
      ...outcome.extra,
      updates: perUpdate,
    },
  };
}
