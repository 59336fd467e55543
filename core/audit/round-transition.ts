import { SimpleMerkleTree } from '@openzeppelin/merkle-tree';
import type { Hex } from 'viem';
import { z } from 'zod';
import {
  aggregate,
  aggregationRuleSchema,
  DEFAULT_RULE,
  OUTER_DEFAULTS,
  outerStep,
  type AggregationResult,
  type AggregationUpdate,
} from '../aggregate/index.ts';
import { createCheckpoint, type Checkpoint } from '../tensor/index.ts';
import { AuditConfigError, AuditInputError } from './errors.ts';
import { scoringMeta, type RoundScoring } from './round-rewards.ts';

/**
 * Everything that decides how a round's updates become the next model. The coordinator writes it
 * into every checkpoint's `meta.aggregation`, so an auditing peer replays the round with the same
 * settings; a coordinator that lies about them produces a hash the replay does not reproduce.
 */
export const roundAggregationSchema = z
  .object({
    rule: aggregationRuleSchema.default(DEFAULT_RULE),
    outer: z
      .object({
        lr: z.number().positive().finite().default(OUTER_DEFAULTS.lr),
        momentumFactor: z.number().min(0).lt(1).default(OUTER_DEFAULTS.momentumFactor),
        nesterov: z.boolean().default(OUTER_DEFAULTS.nesterov),
      })
      .strict()
      .default({ lr: OUTER_DEFAULTS.lr, momentumFactor: OUTER_DEFAULTS.momentumFactor, nesterov: OUTER_DEFAULTS.nesterov }),
  })
  .strict();

export type RoundAggregation = z.output<typeof roundAggregationSchema>;
export type RoundAggregationInput = z.input<typeof roundAggregationSchema>;

/** Validates aggregation settings (defaults filled in); the error names the bad field. */
export function parseRoundAggregation(input: unknown): RoundAggregation {
  const parsed = roundAggregationSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AuditConfigError(`aggregation setting "${issue.path.join('.') || '(root)'}": ${issue.message}`, input);
  }
  return parsed.data;
}

/** The settings a checkpoint was produced with, as recorded by `applyRound`. */
export function checkpointAggregation(checkpoint: Checkpoint): RoundAggregation {
  if (checkpoint.meta.aggregation === undefined) {
    throw new AuditConfigError(`checkpoint ${checkpoint.modelHash} records no aggregation settings; it was not produced by applyRound`, checkpoint.modelHash);
  }
  return parseRoundAggregation(checkpoint.meta.aggregation);
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
  const settings = parseRoundAggregation(input.aggregation);
  const aggregation = aggregate(settings.rule, updates, { expectedLength: parent.params.length });
  const stepped = outerStep({
    params: parent.params,
    momentum: parent.momentum,
    delta: aggregation.delta,
    lr: settings.outer.lr,
    momentumFactor: settings.outer.momentumFactor,
    nesterov: settings.outer.nesterov,
  });
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
