import type { Address, Hex } from 'viem';
import { applyRound, scoringLoss, SCORING_EVALUATORS, settleRound, validationFingerprint, type RoundAggregation, type RoundScoring } from '../core/audit/index.ts';
import { evaluate, type Dataset, type ModelSpec } from '../core/ml/index.ts';
import { decodeUpdate } from '../core/protocol/index.ts';
import { accumulateRewards, type CumulativeRewards, type RoundContribution, type UpdateScore } from '../core/rewards/index.ts';
import { decodeDelta, encodeCheckpoint, type Checkpoint, type CheckpointStore, type CodecId } from '../core/tensor/index.ts';
import { RoundInputError, StoreError } from './errors.ts';
import type { AcceptedUpdateRow, CoordinatorStore, RewardRow, RoundResult } from './store.ts';

export interface RoundWorkSettings {
  spec: ModelSpec;
  aggregation: RoundAggregation;
  validation: Dataset;
  validationLimit: number;
  scoreBatch: number;
  budgetPerRound: bigint;
  /**
   * Share of the budget one OWNER may earn at most, all its node keys together (payRound's
   * capShare); the config still calls it `rewards.capPerNode`.
   */
  capPerNode: number;
}

export interface ProducedRound {
  checkpoint: Checkpoint;
  result: RoundResult;
  scores: UpdateScore[];
  rewards: Omit<RewardRow, 'round'>[];
}

/** The cumulative figures of `rows` (rounds in order), folded the way the rewards tree commits them. */
export function cumulativeOf(rows: readonly RewardRow[]): CumulativeRewards {
  let cumulative: CumulativeRewards = new Map();
  const rounds = [...new Set(rows.map((row) => row.round))];
  for (const round of rounds) {
    const contributions: RoundContribution[] = rows
      .filter((row) => row.round === round)
      .map((row) => ({ owner: row.owner as Address, reward: row.amount, samples: row.samples, counted: row.counted }));
    cumulative = accumulateRewards(cumulative, contributions);
  }
  return cumulative;
}

/**
 * Turns a closed round into its outcome, and records it: the new checkpoint through
 * core/audit's applyRound (the transition auditors replay), its validation loss and accuracy,
 * each update's score, the budget split by score, and the cumulative rewards root. The
 * checkpoint file is written (content-addressed) before the round is marked aggregated, and
 * both happen before any transaction, so a crash at any point leaves either nothing or a
 * round ready to commit.
 */
export async function produceRound(input: {
  round: number;
  baseHash: Hex;
  /** The digests core/round closed the round with. */
  digests: readonly Hex[];
  store: CoordinatorStore;
  checkpoints: CheckpointStore;
  settings: RoundWorkSettings;
  /** The owner wallet of a node key (from the node view), or null if unknown. */
  ownerOf: (nodeKey: Hex) => Promise<Hex | null>;
  now: () => number;
  signal?: AbortSignal;
}): Promise<ProducedRound> {
  const { round, store, settings, signal } = input;
  const wanted = new Set(input.digests.map((digest) => digest.toLowerCase()));
  // In commitment order: who committed to a payload first is its author, whoever sent it first
  // (the scoring's arrival order, recorded in the checkpoint for auditors).
  const rows = store
    .acceptedUpdates(round)
    .filter((row) => wanted.has(row.digest.toLowerCase()))
    .sort((a, b) => a.commitOrder - b.commitOrder);
  if (rows.length !== wanted.size) {
    throw new StoreError(`round ${round} closed with ${wanted.size} updates but the database holds ${rows.length} of them; the database lost accepted updates`, {
      value: { round, wanted: [...wanted] },
    });
  }
  const parent = await input.checkpoints.get(input.baseHash);
  const decoded = rows.map((row) => decodeRow(row, parent.params.length));
  // Owners first: the cap is per owner, so payRound must know who owns each node key.
  const owners: (Hex | null)[] = [];
  for (const update of decoded) owners.push(await input.ownerOf(update.row.nodeKey));
  // Recorded in the checkpoint so auditors score on the same batch, with the same evaluator, budget and cap (core/audit settleRound).
  const scoring: RoundScoring = {
    scoreBatch: settings.scoreBatch,
    budgetWei: settings.budgetPerRound,
    capShare: settings.capPerNode,
    validation: validationFingerprint(settings.validation, settings.scoreBatch),
    evaluator: SCORING_EVALUATORS[0],
  };
  const applied = applyRound({
    parent,
    round,
    updates: decoded.map((update) => ({ digest: update.row.digest, delta: update.delta, samples: update.samples })),
    aggregation: settings.aggregation,
    scoring,
  });
  const evaluation = await evaluate({ spec: settings.spec, params: applied.checkpoint.params, data: settings.validation, limit: settings.validationLimit, signal });
  const settled = await settleRound({
    params: parent.params,
    updates: decoded.map((update, index) => ({
      nodeKey: update.row.nodeKey,
      owner: owners[index],
      digest: update.row.digest,
      payloadDigest: update.payloadDigest,
      delta: update.delta,
      samples: update.samples,
      arrival: update.row.commitOrder,
    })),
    setAside: applied.aggregation.stats.rejected,
    // Not tfjs' evaluate: its bits depend on the backend, and auditors must get the same root on any host.
    evaluateLoss: scoringLoss(scoring, settings.spec, settings.validation, signal),
    budgetWei: scoring.budgetWei,
    capShare: scoring.capShare,
    // The rows of this round are not in the store yet: the committed ones are the previous figures.
    previous: cumulativeOf(store.rewardRowsAsOf(round).filter((row) => row.round < round)),
    signal,
  });
  const { payout: scored, rewards, rewardBudget } = settled;

  const checkpoint: Checkpoint = {
    ...applied.checkpoint,
    meta: { ...applied.checkpoint.meta, evaluation: { loss: evaluation.loss, accuracy: evaluation.accuracy, examples: evaluation.examples } },
  };
  const checkpointBytes = encodeCheckpoint(checkpoint);
  await input.checkpoints.putBytes(checkpoint.modelHash, checkpointBytes);
  const result: RoundResult = {
    modelHash: checkpoint.modelHash,
    updatesRoot: applied.updatesRoot,
    rewardsRoot: settled.rewardsRoot,
    contributors: rows.length,
    totalSamples: totalSamplesOf(round, decoded.map((update) => update.samples)),
    loss: evaluation.loss,
    accuracy: evaluation.accuracy,
    rewardBudget,
    stats: {
      rule: applied.aggregation.stats.rule,
      clipNorm: applied.aggregation.stats.clipNorm,
      aggregateNorm: applied.aggregation.stats.aggregateNorm,
      selected: applied.aggregation.stats.selected,
      baseLoss: scored.baseLoss,
      unallocated: scored.unallocated.toString(),
      updates: applied.aggregation.stats.updates.map((stats) => {
        const update = decoded.find((candidate) => candidate.row.digest.toLowerCase() === stats.digest.toLowerCase());
        const score = scored.scores.find((candidate) => candidate.nodeKey.toLowerCase() === update?.row.nodeKey.toLowerCase());
        return { ...stats, nodeKey: update?.row.nodeKey, score: score?.score, verdict: score?.verdict, loss: score?.loss, copyOf: score?.copyOf, consensusCosine: score?.consensusCosine };
      }),
    },
  };
  store.transaction(() => {
    store.recordCheckpoint({ modelHash: checkpoint.modelHash, round, path: input.checkpoints.dir, bytes: checkpointBytes.byteLength, createdMs: input.now() });
    store.markAggregated(
      round,
      result,
      new Map(decoded.map((update, index) => [update.row.digest, scored.scores[index].score])),
      rewards,
      input.now(),
    );
  });
  return { checkpoint, result, scores: scored.scores, rewards };
}

/** The samples of a round's updates, summed exactly; a sum the ledger cannot record refuses the round before any transaction. */
export function totalSamplesOf(round: number, samples: readonly number[]): number {
  const total = samples.reduce((sum, count) => sum + BigInt(count), 0n);
  if (total > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RoundInputError(`round ${round}'s updates claim ${total} samples in all, more than the ledger records (2^53 - 1); lower training.innerSteps × batchSize`, total);
  }
  return Number(total);
}

function decodeRow(row: AcceptedUpdateRow, parameterCount: number): { row: AcceptedUpdateRow; delta: Float32Array; samples: number; payloadDigest: Hex } {
  const update = decodeUpdate(row.message);
  if (update.payload === undefined) {
    throw new StoreError(`accepted update ${row.digest} of round ${row.round} is stored without its payload`, { value: row.digest });
  }
  return { row, delta: decodeDelta(update.codec as CodecId, update.payload, parameterCount), samples: update.samples, payloadDigest: update.payloadDigest };
}
