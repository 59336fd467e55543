import { z } from 'zod';
import { DEFAULT_AGGREGATION_RULE } from '../defaults/index.ts';
import { AggregationConfigError } from './errors.ts';

/**
 * Norm clipping applied to every update before the rule sees it. `median` clips to `factor` times
 * the median update norm of the round (scale-free, so it follows the model through training and
 * an attacker cannot move it while fewer than half the updates are hostile); `fixed` clips to an
 * absolute norm.
 */
export const normClipSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('median'), factor: z.number().positive().finite().default(1) }).strict(),
  z.object({ mode: z.literal('fixed'), maxNorm: z.number().positive().finite() }).strict(),
]);
export type NormClip = z.infer<typeof normClipSchema>;

const clip = { clip: normClipSchema.optional() };

/**
 * The mean, not robust. `weighting: 'samples'` (what leaving it out means) weights each update by
 * its claimed sample count, the plain DiLoCo outer gradient; `'uniform'` gives every update the
 * same weight, as the seed's plain average did, so an inflated sample count buys nothing. Left out
 * rather than defaulted, so rules recorded before the field existed parse to the same bytes.
 */
const meanSchema = z
  .object({ rule: z.literal('mean'), weighting: z.enum(['samples', 'uniform']).optional(), ...clip })
  .strict();
/** Coordinate-wise median (the mean of the two middle values for an even count). */
const medianSchema = z.object({ rule: z.literal('median'), ...clip }).strict();
/** Coordinate-wise mean after dropping the floor(beta·n) smallest and largest values. */
const trimmedMeanSchema = z
  .object({ rule: z.literal('trimmedMean'), beta: z.number().min(0).lt(0.5).default(0.2), ...clip })
  .strict();
/**
 * Multi-Krum: score each update by the summed squared distance to its n − f − 2 nearest
 * neighbours, average the m best. `f` defaults to the most Krum tolerates for the round's n,
 * floor((n − 3) / 2); `m` defaults to n − f. Both are capped to what the round's n allows.
 */
const multiKrumSchema = z
  .object({
    rule: z.literal('multiKrum'),
    f: z.number().int().min(0).optional(),
    m: z.number().int().min(1).optional(),
    ...clip,
  })
  .strict();
/**
 * Centered clipping (Karimireddy et al. 2021): start at the coordinate median, then `iterations`
 * times move the centre by the mean of each update's offset clipped to radius `tau`. Without `tau`
 * the radius is the median distance of the updates to the starting centre.
 */
const centeredClipSchema = z
  .object({
    rule: z.literal('centeredClip'),
    tau: z.number().positive().finite().optional(),
    iterations: z.number().int().min(1).max(100).default(3),
    ...clip,
  })
  .strict();

/**
 * Cosine-weighted mean, FLTrust's aggregation (Cao et al. 2021) with a robust reference in place of
 * the server's own update: the reference is the coordinate median of the (clipped) updates, each
 * update weighs its cosine to it, and updates at or below `minCosine` weigh nothing. An update that
 * points against the honest majority (sign flip, inner-product manipulation), across it (noise) or
 * nowhere (zero) drops out; honest updates that differ because their data differ keep their place
 * in the average, which is what non-IID shards need. Clipping bounds what a well-aimed update can add.
 */
const cosineWeightedSchema = z
  .object({
    rule: z.literal('cosineWeighted'),
    minCosine: z.number().min(-1).lt(1).default(0),
    /**
     * Updates whose cosine is at most this fraction of the round's median cosine weigh nothing too:
     * a floor that follows how alike the round's honest updates are (IID or not), so data
     * poisoners, whose updates agree with the honest majority far less than honest ones do, drop out.
     */
    relativeFloor: z.number().min(0).lt(1).default(0),
    ...clip,
  })
  .strict();

export const aggregationRuleNames = ['mean', 'median', 'trimmedMean', 'multiKrum', 'centeredClip', 'cosineWeighted'] as const;
export type AggregationRuleName = (typeof aggregationRuleNames)[number];

const ruleObjectSchema = z.discriminatedUnion('rule', [
  meanSchema,
  medianSchema,
  trimmedMeanSchema,
  multiKrumSchema,
  centeredClipSchema,
  cosineWeightedSchema,
]);

/** A rule and its parameters, `{ rule, ...params }`; a bare rule name means its defaults. */
export const aggregationRuleSchema = z.preprocess((value) => (typeof value === 'string' ? { rule: value } : value), ruleObjectSchema);

/** A validated rule with every default filled in. */
export type AggregationRule = z.output<typeof ruleObjectSchema>;
/** What callers may write: a rule name, or `{ rule, ...params }` with defaults left out. */
export type AggregationRuleInput = AggregationRuleName | z.input<typeof ruleObjectSchema>;

/** The coordinator's default rule, validated with its defaults filled in; core/defaults says what it is and why. */
export const DEFAULT_RULE: AggregationRule = parseAggregationRule(DEFAULT_AGGREGATION_RULE);

/** Validates a rule configuration (a name or `{ rule, ...params }`), filling in defaults. */
export function parseAggregationRule(input: unknown): AggregationRule {
  const parsed = aggregationRuleSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(rule)'}: ${issue.message}`).join('; ');
    throw new AggregationConfigError(
      `invalid aggregation rule ${JSON.stringify(input)}: ${issues}; use one of ${aggregationRuleNames.join(', ')} or { rule, ...params }`,
      input,
    );
  }
  return parsed.data;
}
