import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import type { Hex } from 'viem';
import { z } from 'zod';
import {
  aggregate,
  aggregationRuleSchema,
  DEFAULT_RULE,
  learningRateScheduleSchema,
  OUTER_DEFAULTS,
  outerStep,
  scheduledRate,
  CONSTANT_SCHEDULE,
  type AggregationResult,
  type AggregationUpdate,
  type LearningRateScheduleInput,
} from '../aggregate/index.ts';
import { createCheckpoint, type Checkpoint } from '../tensor/index.ts';
import { AuditConfigError, AuditInputError } from './errors.ts';
import { scoringMeta, type RoundScoring } from './round-rewards.ts';

/**
 * The schedules and weight decay a coordinator runs with unless its config says otherwise. On
 * `gradnet bench long` (3 peers, the daemon's defaults) a constant outer lr 0.7 with no decay let
 * the test loss climb from 0.135 at round 8 to 0.51 at round 31 and on (bench/results/long-before.json).
 * Decaying both rates over 20 rounds (DiLoCo's peak rates first; most of the learning is done by
 * then) to a small floor, with decoupled weight decay on both steps, held it at its minimum
 * instead: see bench/results/long.json. A network on harder data sets longer decayRounds.
 */
export const SCHEDULE_DEFAULTS = {
  outer: {
    schedule: { kind: 'cosine', warmupRounds: 0, decayRounds: 20, floor: 0.02 } satisfies LearningRateScheduleInput,
    weightDecay: 0.05,
  },
  inner: {
    /** The daemon's own default Adam rate (core/config), the peak of the inner schedule. */
    learningRate: 0.003,
    schedule: { kind: 'cosine', warmupRounds: 0, decayRounds: 20, floor: 0.05 } satisfies LearningRateScheduleInput,
    weightDecay: 0.1,
  },
} as const;

/**
 * Everything that decides how a round's updates become the next model, and the local training the
 * next round asks of the peers. The coordinator writes it into every checkpoint's
 * `meta.aggregation`, so an auditing peer replays the round with the same settings; a coordinator
 * that lies about them produces a hash the replay does not reproduce.
 *
 * `recorded` reads settings as checkpoints hold them: a field added since (schedule, weightDecay,
 * inner) that a checkpoint leaves out stays out, meaning "off" (constant rate, no decay, no
 * training advice), so rounds committed before the field existed replay to the same bytes. The
 * coordinator's config fills them with SCHEDULE_DEFAULTS instead.
 */
function aggregationSchema(recorded: boolean) {
  const inner = z
    .object({
      /** Peak Adam learning rate of the peers' local training. */
      learningRate: z.number().positive().max(1).default(SCHEDULE_DEFAULTS.inner.learningRate),
      schedule: learningRateScheduleSchema.default(SCHEDULE_DEFAULTS.inner.schedule),
      /** Decoupled (AdamW) weight decay of the local training. */
      weightDecay: z.number().min(0).max(1).default(SCHEDULE_DEFAULTS.inner.weightDecay),
    })
    .strict();
  return z
    .object({
      rule: aggregationRuleSchema.default(DEFAULT_RULE),
      outer: z
        .object({
          /** Peak outer learning rate (the schedule scales it per round). */
          lr: z.number().positive().finite().default(OUTER_DEFAULTS.lr),
          momentumFactor: z.number().min(0).lt(1).default(OUTER_DEFAULTS.momentumFactor),
          nesterov: z.boolean().default(OUTER_DEFAULTS.nesterov),
          schedule: recorded ? learningRateScheduleSchema.optional() : learningRateScheduleSchema.default(SCHEDULE_DEFAULTS.outer.schedule),
          /** Decoupled weight decay of the outer step, per round, scaled by the round's outer lr. */
          weightDecay: recorded ? z.number().min(0).lt(1).optional() : z.number().min(0).lt(1).default(SCHEDULE_DEFAULTS.outer.weightDecay),
        })
        .strict()
        .refine((outer) => outer.lr * (outer.weightDecay ?? 0) < 1, { message: 'lr × weightDecay must be below 1 (the decay would flip the weights); lower weightDecay', path: ['weightDecay'] })
        .default({}),
      inner: recorded ? inner.optional() : inner.default({}),
    })
    .strict();
}

/** The coordinator's aggregation settings (core/config): what is left out gets the defaults, SCHEDULE_DEFAULTS among them. */
export const roundAggregationSchema = aggregationSchema(false);
const recordedAggregationSchema = aggregationSchema(true);

/** Settings as applyRound uses and records them: schedule, weight decay and inner may be absent (off). */
export type RoundAggregation = z.output<typeof recordedAggregationSchema>;
export type RoundAggregationInput = z.input<typeof recordedAggregationSchema>;

/** Validates the coordinator's aggregation settings, defaults filled in; the error names the bad field. */
export function parseRoundAggregation(input: unknown): RoundAggregation {
  return parseAggregation(roundAggregationSchema, input);
}

function parseAggregation(schema: typeof roundAggregationSchema | typeof recordedAggregationSchema, input: unknown): RoundAggregation {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AuditConfigError(`aggregation setting "${issue.path.join('.') || '(root)'}": ${issue.message}`, input);
  }
  return parsed.data;
}

/** The local training a checkpoint asks of the round that trains on it (see applyRound). */
export interface RoundTraining {
  /** The round the advice is for: the checkpoint's round + 1. */
  round: number;
  learningRate: number;
  weightDecay: number;
}

const roundTrainingSchema = z
  .object({ round: z.number().int().positive(), learningRate: z.number().positive().max(1), weightDecay: z.number().min(0).max(1) })
  .strict();

/**
 * The learning rate and weight decay a checkpoint records for the next round's local training, or
 * undefined when it records none (genesis, a coordinator without an inner schedule) or records
 * something out of bounds: the daemon then trains with its own settings. Nothing refuses an update
 * for the rate it was trained with (nobody can tell), so a daemon that ignores this advice (an older
 * version) is still accepted and paid by what its update is worth.
 */
export function checkpointTraining(checkpoint: Checkpoint): RoundTraining | undefined {
  const parsed = roundTrainingSchema.safeParse(checkpoint.meta.training);
  return parsed.success && parsed.data.round === checkpoint.meta.round + 1 ? parsed.data : undefined;
}

/** The settings a checkpoint was produced with, as recorded by `applyRound`. */
export function checkpointAggregation(checkpoint: Checkpoint): RoundAggregation {
  if (checkpoint.meta.aggregation === undefined) {
    throw new AuditConfigError(`checkpoint ${checkpoint.modelHash} records no aggregation settings; it was not produced by applyRound`, checkpoint.modelHash);
  }
  return parseAggregation(recordedAggregationSchema, checkpoint.meta.aggregation);
}

export interface ApplyRoundInput {
  /** The checkpoint the round started from (its hash is the round's parent hash). */
  parent: Checkpoint;
  /** The round being produced (parent.meta.round + 1). */
  round: number;
  /**
   * The accepted updates, decoded, in acceptance order. The order does not change the model (the
   * aggregation sorts by digest) but is recorded as `meta.updates`: it is the scoring's arrival
   * order, and the list tells an auditor which updates to fetch.
   */
  updates: readonly AggregationUpdate[];
  /**
   * Rule, outer step, schedules: the coordinator passes its config (parseRoundAggregation); what
   * is left out here is off, as in a checkpoint recorded before that setting existed.
   */
  aggregation: RoundAggregationInput | RoundAggregation;
  /** How the round's rewards are scored, recorded as `meta.scoring` for auditors (see settleRound). */
  scoring?: RoundScoring;
  /** Extra metadata to record in the checkpoint (evaluation figures and so on); it does not affect the hash. */
  meta?: Record<string, unknown>;
}

export interface AppliedRound {
  checkpoint: Checkpoint;
  aggregation: AggregationResult;
  updatesRoot: Hex;
}

/**
 * The deterministic round transition: robust aggregation of the updates, then one outer step
 * from the parent's weights and momentum. Coordinator and auditing peers both call this, so the
 * committed model hash can be recomputed byte for byte from the gossiped updates.
 */
export function applyRound(input: ApplyRoundInput): AppliedRound {
  const { parent, round, updates } = input;
  if (round !== parent.meta.round + 1) {
    throw new AuditInputError(`round ${round} cannot follow checkpoint of round ${parent.meta.round}; replay rounds in order`, round);
  }
  const settings = parseAggregation(recordedAggregationSchema, input.aggregation);
  const aggregation = aggregate(settings.rule, updates, { expectedLength: parent.params.length });
  const { outer, inner } = settings;
  const stepped = outerStep({
    params: parent.params,
    momentum: parent.momentum,
    delta: aggregation.delta,
    lr: scheduledRate(outer.lr, outer.schedule ?? CONSTANT_SCHEDULE, round),
    momentumFactor: outer.momentumFactor,
    nesterov: outer.nesterov,
    weightDecay: outer.weightDecay,
  });
  const training: RoundTraining | undefined = inner && {
    round: round + 1,
    learningRate: scheduledRate(inner.learningRate, inner.schedule, round + 1),
    weightDecay: inner.weightDecay,
  };
  const checkpoint = createCheckpoint({
    layout: parent.layout,
    params: stepped.params,
    momentum: stepped.momentum,
    meta: {
      ...input.meta,
      round,
      model: parent.meta.model,
      parentHash: parent.modelHash,
      aggregation: settings,
      updates: updates.map((update) => update.digest.toLowerCase()),
      ...(input.scoring === undefined ? {} : { scoring: scoringMeta(input.scoring) }),
      ...(training === undefined ? {} : { training }),
    },
  });
  return { checkpoint, aggregation, updatesRoot: updatesRoot(updates.map((update) => update.digest)) };
}

/**
 * The included update digests a checkpoint records, in acceptance order; undefined for a
 * checkpoint that records none (genesis, or one produced before they were recorded).
 */
export function checkpointUpdates(checkpoint: Checkpoint): Hex[] | undefined {
  const updates = checkpoint.meta.updates;
  if (updates === undefined) return undefined;
  if (!Array.isArray(updates) || !updates.every((digest) => typeof digest === 'string' && /^0x[0-9a-f]{64}$/.test(digest))) {
    throw new AuditConfigError(`checkpoint ${checkpoint.modelHash} records malformed update digests`, checkpoint.modelHash);
  }
  return updates as Hex[];
}

/** The zero root commits an empty update set (a round nobody contributed to). */
export const EMPTY_UPDATES_ROOT: Hex = `0x${'00'.repeat(32)}`;

/**
 * The Merkle root (OpenZeppelin's SimpleMerkleTree, sorted leaves) of a round's accepted update
 * digests. On chain it lets a peer prove which updates a round used; a peer holding exactly those
 * digests knows it can replay the round.
 */
export function updatesRoot(digests: readonly Hex[]): Hex {
  if (digests.length === 0) return EMPTY_UPDATES_ROOT;
  const unique = new Set(digests.map((digest) => digest.toLowerCase()));
  if (unique.size !== digests.length) {
    throw new AuditInputError('a round cannot include the same update digest twice; deduplicate before committing', digests);
  }
  for (const digest of unique) {
    if (!/^0x[0-9a-f]{64}$/.test(digest)) throw new AuditInputError(`update digest ${digest} is not a 32-byte hex value`, digest);
  }
  return SimpleMerkleTree.of([...unique].sort() as Hex[]).root as Hex;
}
