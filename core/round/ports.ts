import type { Hex } from 'viem';
import type { AcceptedCommitment, AcceptedUpdate } from './types.ts';

// The ports a runner of the round state machine is given: the state machine decides, the runner
// maps its effects to calls on these. They are shapes, not classes, so that tests pass fakes and
// the coordinator passes its SQLite store, its chain wrappers and its libp2p node. The clock port
// is core/time's Clock.

/** Something with a lifetime: started once, stopped any number of times. */
export interface Startable {
  start(): Promise<void>;
  stop(): Promise<void>;
}


/** Where a round is in the journal: collecting, aggregated (checkpoint written), commit sent, on chain. */
export type RoundRowStatus = 'open' | 'aggregated' | 'committing' | 'committed';

/** A round as the journal keeps it. */
export interface JournalRound {
  round: number;
  state: RoundRowStatus;
  baseHash: Hex;
  /** Set once the round is aggregated. */
  modelHash?: Hex;
  openedMs: number;
  /** When the round's reveal opened; null while it takes commitments. */
  revealedMs: number | null;
  txHash: Hex | null;
}

/** The durable record of rounds and the updates accepted into them (the coordinator's database). */
export interface RoundJournal {
  latestRound(): JournalRound | null;
  getRound(round: number): JournalRound | null;
  /** Newest first, rounds below `before` when given. */
  listRounds(options: { limit: number; before?: number }): JournalRound[];
  /** Records `round` as open on `baseHash` (again, when re-announced). */
  openRound(round: number, baseHash: Hex, openedMs: number): unknown;
  acceptedUpdates(round: number): readonly AcceptedUpdate[];
  /** The commitments taken for a round, in arrival order. */
  acceptedCommitments(round: number): readonly AcceptedCommitment[];
  /** Sets aside the accepted updates of a round whose aggregation failed; returns how many. */
  rejectAcceptedUpdates(round: number, reason: string): number;
  /** Records a round the chain holds; `txHash` null when the transaction is not known. */
  markCommitted(round: number, txHash: Hex | null, nowMs: number): void;
  /** Counts a committed round as missed by the active nodes that did not contribute. */
  recordRoundAttendance(round: number, contributors: readonly Hex[]): void;
}

/** A round as the ledger holds it. */
export interface LedgerRound {
  modelHash: Hex;
  transactionHash: Hex;
}

/**
 * The round ledger on chain (the truth for committed rounds) and the runner's own account on it.
 * `Commitment` is the chain's record of a round, which the runner passes through unread.
 */
export interface RoundLedger<Commitment> {
  roundCount(): Promise<number>;
  latestModelHash(): Promise<Hex>;
  getRound(round: number): Promise<LedgerRound>;
  commitRound(commitment: Commitment, options: { signal?: AbortSignal }): Promise<{ hash: Hex }>;
  /** Transactions this account sent that are not mined yet. */
  pendingTransactionCount(): Promise<number>;
}

/** The gossip side of a round: announcements out, and which round incoming updates must be for. */
export interface RoundGossip {
  /** Announces the round's stage (commit, or `reveal`), which ends at `deadline`; the gossip adds the round's update bounds. */
  publishRoundOpen(open: { round: number; baseModelHash: Hex; deadline: number; reveal: boolean }): Promise<unknown>;
  publishModelAnnounce(announce: { round: number; modelHash: Hex; parentHash: Hex; checkpointSize: number; deadline: number }): Promise<unknown>;
  /** The round commitments and updates are validated against from now on (commitments refused once `reveal`); null while none collects. */
  admitUpdatesFor(open: { round: number; baseHash: Hex; reveal: boolean } | null): void;
  /** Forgets the commitments and updates seen for `round`, so that re-sent ones are taken again (a re-collected round). */
  forgetRound(round: number): void;
}

/** Content-addressed model checkpoints (also served to peers by hash). */
export interface RoundCheckpoints {
  /** Where they are kept, for messages that tell an operator what to restore. */
  readonly dir: string;
  has(modelHash: Hex): Promise<boolean>;
}
