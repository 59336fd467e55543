import type { Hex } from 'viem';
import { errorMessage } from '../core/errors.ts';
import type { RoundEffect, RoundEvent } from '../core/round/index.ts';
import { commitAttempt, isRetryableCommitError, type CommitOutcome } from './commit.ts';
import { maxSamplesPerUpdate } from './config.ts';
import { CoordinatorError } from './errors.ts';
import { waitForOwnPendingTransactions } from './recovery.ts';
import { produceRound } from './round-work.ts';
import type { RunnerPorts } from './ports.ts';

// The two long effects of a round, each answered with the event the state machine takes next.
// Errors of the coordinator's own kind (a store failure, a chain that contradicts the database)
// are thrown: they are fatal. Anything else is an outcome the state machine handles.

/** Aggregates and scores a closed round and writes its checkpoint; `aggregationFailed` if that cannot be done. */
export async function aggregateRound(ports: RunnerPorts, effect: Extract<RoundEffect, { type: 'aggregate' }>): Promise<RoundEvent> {
  const { config, store, chain, nodes, checkpoints, model, clock, logger, metrics, events, signal } = ports;
  logger.info({ round: effect.round, updates: effect.updates.length, reason: effect.reason }, 'round closed; aggregating');
  const digests = withinSampleBound(ports, effect);
  let produced: Awaited<ReturnType<typeof produceRound>>;
  try {
    produced = await produceRound({
      round: effect.round,
      baseHash: effect.baseHash,
      digests,
      store,
      checkpoints,
      settings: {
        spec: model.spec,
        aggregation: config.aggregation,
        validation: model.validation,
        validationLimit: config.evaluation.validationLimit,
        scoreBatch: config.evaluation.scoreBatch,
        budgetPerRound: config.rewards.budgetPerRound,
        capPerNode: config.rewards.capPerNode,
      },
      ownerOf: async (nodeKey) => nodes.ownerOf(nodeKey) ?? (await chain.ownerOf(nodeKey)) ?? null,
      now: () => clock.now(),
      signal,
    });
  } catch (error) {
    if (error instanceof CoordinatorError || signal.aborted) throw error;
    logger.error({ round: effect.round, error: errorMessage(error) }, 'aggregation failed; collecting the round again');
    store.rejectAcceptedUpdates(effect.round, 'aggregation_failed');
    return { type: 'aggregationFailed', now: clock.now(), round: effect.round, reason: errorMessage(error) };
  }
  const { result } = produced;
  metrics.loss.set(result.loss);
  metrics.accuracy.set(result.accuracy);
  logger.info({ round: effect.round, modelHash: result.modelHash, loss: result.loss, accuracy: result.accuracy, rewardBudget: result.rewardBudget.toString() }, 'round aggregated; checkpoint written');
  events.emit('roundAggregated', { round: effect.round, modelHash: result.modelHash, loss: result.loss, accuracy: result.accuracy, contributors: result.contributors });
  return { type: 'aggregated', now: clock.now(), round: effect.round, modelHash: result.modelHash };
}

/**
 * The digests of the round's updates that claim at most the samples a round allows. The
 * validator refuses larger claims on receipt; these are the ones a database kept from before
 * that bound (or before it was lowered): set aside, never aggregated or summed.
 */
function withinSampleBound(ports: RunnerPorts, effect: Extract<RoundEffect, { type: 'aggregate' }>): Hex[] {
  const { config, store, logger } = ports;
  const maxSamples = maxSamplesPerUpdate(config);
  const closedWith = new Set(effect.updates.map((update) => update.digest.toLowerCase()));
  const overClaiming = store
    .acceptedUpdates(effect.round)
    .filter((row) => closedWith.has(row.digest.toLowerCase()) && row.samples > maxSamples)
    .map((row) => row.digest);
  if (overClaiming.length === 0) return effect.updates.map((update) => update.digest);
  store.rejectAcceptedUpdates(effect.round, 'samples_exceeded', overClaiming);
  logger.warn({ round: effect.round, digests: overClaiming, maxSamples }, 'updates claiming more samples than a round allows set aside');
  const setAside = new Set(overClaiming.map((digest) => digest.toLowerCase()));
  return effect.updates.map((update) => update.digest).filter((digest) => !setAside.has(digest.toLowerCase()));
}

/** One commit attempt (a retry first lets an earlier transaction of ours land); `commitFailed` says whether to retry. */
export async function commitRound(ports: RunnerPorts, effect: Extract<RoundEffect, { type: 'commit' }>): Promise<RoundEvent> {
  const { config, store, chain, clock, logger, signal } = ports;
  let outcome: CommitOutcome;
  try {
    if (effect.attempt > 1) await waitForOwnPendingTransactions({ ledger: chain, clock, logger, retryMaxMs: config.round.retryMaxMs, signal });
    outcome = await commitAttempt({ ledger: chain, store, round: effect.round, now: () => clock.now(), signal });
  } catch (error) {
    const retryable = isRetryableCommitError(error);
    if ((!retryable && error instanceof CoordinatorError) || signal.aborted) throw error;
    return { type: 'commitFailed', now: clock.now(), round: effect.round, attempt: effect.attempt, error: errorMessage(error), retryable };
  }
  logger.info({ round: effect.round, modelHash: effect.modelHash, txHash: outcome.txHash, alreadyOnChain: outcome.kind === 'already-on-chain' }, 'round committed');
  return { type: 'commitConfirmed', now: clock.now(), round: effect.round, modelHash: effect.modelHash, txHash: outcome.txHash };
}
