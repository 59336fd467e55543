import type { Hex } from 'viem';
import {
  ChainIdMismatchError,
  ChainInputError,
  ContractMissingError,
  ContractRevertError,
  DeploymentsError,
  NoAccountError,
  TransactionFailedError,
  type RoundRecord,
} from '../core/chain/index.ts';
import { errorMessage } from '../core/errors.ts';
import type { RoundLedger } from '../core/round/index.ts';
import { FIXED_POINT_SCALE, toFixedPointClamped } from '../core/units/index.ts';
import { ChainStateError, StoreError } from './errors.ts';
import type { CoordinatorStore, RoundRow } from './store.ts';

/** What committing needs from the ledger port (core/chain's LedgerClient behind it). */
export type CommitLedger = Pick<RoundLedger<RoundRecord>, 'roundCount' | 'latestModelHash' | 'getRound' | 'commitRound'>;

/** The ledger record of an aggregated round, from the store's row. */
export function ledgerRecordOf(row: RoundRow): RoundRecord {
  if (row.modelHash === undefined || row.updatesRoot === undefined || row.rewardsRoot === undefined) {
    throw new StoreError(`round ${row.round} has no aggregation result (state ${row.state}); it cannot be committed`, { value: row.round });
  }
  return {
    roundId: row.round,
    modelHash: row.modelHash,
    parentHash: row.baseHash,
    updatesRoot: row.updatesRoot,
    rewardsRoot: row.rewardsRoot,
    contributors: row.contributors ?? 0,
    totalSamples: row.totalSamples ?? 0,
    loss: toFixedPointClamped(row.loss ?? 0),
    accuracy: Math.min(toFixedPointClamped(row.accuracy ?? 0), FIXED_POINT_SCALE),
    rewardBudget: row.rewardBudget ?? 0n,
  };
}

export type CommitOutcome = { kind: 'sent'; txHash: Hex } | { kind: 'already-on-chain'; txHash: Hex };

/**
 * One attempt at committing an aggregated round, safe to repeat: it first asks the chain where
 * it is. If the round is already there with our model hash (a receipt lost to a crash or a
 * timeout) it only marks the round committed; with another hash, or with the chain behind the
 * round's parent, it throws a ChainStateError. A revert gets one more look at the chain (it may
 * be our own earlier transaction that landed meanwhile) before it is reported.
 * The caller (core/round) retries failures that `isRetryableCommitError` accepts.
 */
export async function commitAttempt(options: { ledger: CommitLedger; store: CoordinatorStore; round: number; now: () => number; signal?: AbortSignal }): Promise<CommitOutcome> {
  const { ledger, store, round, signal } = options;
  const record = ledgerRecordOf(store.markCommitting(round));
  if (await onChainAlready(ledger, record)) return markLanded(ledger, store, round, options.now);
  try {
    const sent = await ledger.commitRound(record, { signal });
    store.markCommitted(round, sent.hash, options.now());
    return { kind: 'sent', txHash: sent.hash };
  } catch (error) {
    store.recordCommitError(round, errorMessage(error));
    if (isRevert(error) && (await onChainAlready(ledger, record))) return markLanded(ledger, store, round, options.now);
    throw error;
  }
}

/** Marks a round committed that the chain already holds, with the transaction that put it there. */
async function markLanded(ledger: CommitLedger, store: CoordinatorStore, round: number, now: () => number): Promise<CommitOutcome> {
  const { transactionHash } = await ledger.getRound(round);
  store.markCommitted(round, transactionHash, now());
  return { kind: 'already-on-chain', txHash: transactionHash };
}

/** Whether `record` is on chain already; throws ChainStateError when the chain contradicts it. */
async function onChainAlready(ledger: CommitLedger, record: RoundRecord): Promise<boolean> {
  const onChain = await ledger.roundCount();
  if (onChain < record.roundId - 1) {
    throw new ChainStateError(
      `the chain has ${onChain} rounds but round ${record.roundId} builds on round ${record.roundId - 1}; the chain was reset or is another deployment, use a fresh data directory`,
      { round: record.roundId, onChain },
    );
  }
  if (onChain < record.roundId) return false;
  const committed = onChain === record.roundId ? await ledger.latestModelHash() : (await ledger.getRound(record.roundId)).modelHash;
  if (committed.toLowerCase() !== record.modelHash.toLowerCase()) {
    throw new ChainStateError(
      `round ${record.roundId} is already on chain with model ${committed}, but this coordinator aggregated ${record.modelHash}; another coordinator commits to this ledger, stop one of them`,
      { round: record.roundId, onChain: committed, ours: record.modelHash },
    );
  }
  return true;
}

/** Whether the contract refused (as opposed to the RPC being unreachable or slow). */
export function isRevert(error: unknown): boolean {
  return error instanceof ContractRevertError || error instanceof TransactionFailedError;
}

/**
 * Failures that sending the same record again cannot fix: the record refused as input (by
 * core/chain's checks or by the contract), a chain that contradicts the database, a database
 * failure, a wrong set-up (no account, another chain, missing contracts).
 */
const PERMANENT_COMMIT_ERRORS = [ChainInputError, ChainStateError, StoreError, NoAccountError, ChainIdMismatchError, DeploymentsError, ContractMissingError];

/** RPC trouble (unreachable, timeouts) is worth retrying; anything in PERMANENT_COMMIT_ERRORS or a revert is not. */
export function isRetryableCommitError(error: unknown): boolean {
  return !isRevert(error) && !PERMANENT_COMMIT_ERRORS.some((kind) => error instanceof kind);
}
