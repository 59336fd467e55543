import { BaseError, ContractFunctionRevertedError, type Hex } from 'viem';
import { ChainStateError, StoreError } from './errors.ts';
import { retryWithBackoff, type BackoffOptions } from './retry.ts';
import type { CoordinatorStore, RoundRow } from './store.ts';

/** The on-chain record of one round, as `RoundLedger.commitRound` takes it. */
export interface LedgerRoundRecord {
  roundId: bigint;
  modelHash: Hex;
  parentHash: Hex;
  updatesRoot: Hex;
  rewardsRoot: Hex;
  contributors: number;
  totalSamples: bigint;
  /** Fixed point, 1e6. */
  loss: bigint;
  /** Fixed point, 1e6. */
  accuracy: bigint;
  rewardBudget: bigint;
}

/** What committing needs from the chain: core/chain's LedgerClient, seen through this port. */
export interface CommitLedger {
  /** How many rounds are on chain; round ids run 1..roundCount (0 is genesis). */
  roundCount(options?: { signal?: AbortSignal }): Promise<bigint>;
  /** The model hash committed for `roundId` (genesis for 0). */
  modelHashOf(roundId: bigint, options?: { signal?: AbortSignal }): Promise<Hex>;
  /** Sends `commitRound` and waits for its receipt; returns the transaction hash. */
  commitRound(record: LedgerRoundRecord, options?: { signal?: AbortSignal }): Promise<Hex>;
}

export const FIXED_POINT = 1_000_000;

/** A metric as the ledger stores it: fixed point 1e6, clamped at 0 (losses and accuracies are never negative). */
export function toFixedPoint(value: number): bigint {
  if (!Number.isFinite(value) || value <= 0) return 0n;
  return BigInt(Math.round(value * FIXED_POINT));
}

/** The ledger record of an aggregated round, from the store's row. */
export function ledgerRecordOf(row: RoundRow): LedgerRoundRecord {
  if (row.modelHash === undefined || row.updatesRoot === undefined || row.rewardsRoot === undefined) {
    throw new StoreError(`round ${row.round} has no aggregation result (state ${row.state}); it cannot be committed`, { value: row.round });
  }
  return {
    roundId: BigInt(row.round),
    modelHash: row.modelHash,
    parentHash: row.baseHash,
    updatesRoot: row.updatesRoot,
    rewardsRoot: row.rewardsRoot,
    contributors: row.contributors ?? 0,
    totalSamples: BigInt(row.totalSamples ?? 0),
    loss: toFixedPoint(row.loss ?? 0),
    accuracy: toFixedPoint(row.accuracy ?? 0),
    rewardBudget: row.rewardBudget ?? 0n,
  };
}

export type CommitOutcome = { kind: 'sent'; txHash: Hex } | { kind: 'already-on-chain' };

export interface CommitOptions extends BackoffOptions {
  ledger: CommitLedger;
  store: CoordinatorStore;
  round: number;
  now: () => number;
  signal?: AbortSignal;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Commits an aggregated round exactly once. Before every attempt it asks the chain where it
 * is: if the round is already there with our model hash (a receipt lost to a crash or a
 * timeout), it only marks the round committed; if it is there with another hash, or the chain
 * is behind the round's parent, it stops with a ChainStateError. RPC failures are retried with
 * backoff for as long as it takes; a revert is re-checked once against the chain and then
 * reported (it means a missing role or a wrong parent, which waiting does not fix).
 */
export async function commitRoundOnce(options: CommitOptions): Promise<CommitOutcome> {
  const { ledger, store, round, signal } = options;
  let revertsSeen = 0;
  return retryWithBackoff(
    async () => {
      const row = store.markCommitting(round);
      const record = ledgerRecordOf(row);
      const onChain = await ledger.roundCount({ signal });
      if (onChain >= record.roundId) {
        const committed = await ledger.modelHashOf(record.roundId, { signal });
        if (committed.toLowerCase() !== record.modelHash.toLowerCase()) {
          throw new ChainStateError(
            `round ${round} is already on chain with model ${committed}, but this coordinator aggregated ${record.modelHash}; another coordinator is committing to this ledger, stop one of them`,
            { round, onChain: committed, ours: record.modelHash },
          );
        }
        store.markCommitted(round, null, options.now());
        return { kind: 'already-on-chain' } as const;
      }
      if (onChain < record.roundId - 1n) {
        throw new ChainStateError(
          `the chain has ${onChain} rounds but round ${round} builds on round ${round - 1}; the chain was reset or is another deployment, use a fresh data directory`,
          { round, onChain },
        );
      }
      try {
        const txHash = await ledger.commitRound(record, { signal });
        store.markCommitted(round, txHash, options.now());
        return { kind: 'sent', txHash } as const;
      } catch (error) {
        store.recordCommitError(round, errorMessage(error));
        if (isRevert(error)) revertsSeen += 1;
        throw error;
      }
    },
    {
      baseMs: options.baseMs,
      maxMs: options.maxMs,
      signal,
      // A revert gets one more look at the chain (it may be our own earlier transaction that
      // landed); after that it is final.
      isRetryable: (error) => !(error instanceof ChainStateError) && !(error instanceof StoreError) && (!isRevert(error) || revertsSeen <= 1),
      onRetry: options.onRetry,
    },
  );
}

/** Whether a viem error is the contract refusing (as opposed to the RPC being unreachable). */
export function isRevert(error: unknown): boolean {
  return error instanceof BaseError && error.walk((cause) => cause instanceof ContractFunctionRevertedError) !== null;
}

export function errorMessage(error: unknown): string {
  if (error instanceof BaseError) return error.shortMessage;
  return error instanceof Error ? error.message : String(error);
}
