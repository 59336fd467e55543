import type { Hex } from 'viem';
import type { RoundConfig } from './config.ts';

/** An update the validator accepted for a round; `digest` is what aggregation orders by. */
export interface AcceptedUpdate {
  nodeKey: Hex;
  digest: Hex;
}

interface PhaseBase {
  config: RoundConfig;
  /** Last time each node was heard from (heartbeat or update), by lower-case node key. */
  lastSeen: Readonly<Record<string, number>>;
  /**
   * The nodes that count towards the quorum (lower case, sorted): registered, active and not
   * failed, as the coordinator last reported them. Null until it does: the configured quorum applies.
   */
  activeSet: readonly string[] | null;
}

/** Nothing open yet: waiting for `start` or `resumeCommit`. */
export interface IdleState extends PhaseBase {
  phase: 'idle';
}

/** Round `round` collects updates on model `baseHash`. */
export interface CollectingState extends PhaseBase {
  phase: 'collecting';
  round: number;
  baseHash: Hex;
  /** When the round was (last re-)announced; deadline and longest wait count from here. */
  openedAt: number;
  /** Accepted updates in arrival order, at most one per node. */
  updates: readonly AcceptedUpdate[];
}

/** The round is closed; the coordinator aggregates, scores and writes the checkpoint. */
export interface AggregatingState extends PhaseBase {
  phase: 'aggregating';
  round: number;
  baseHash: Hex;
  updates: readonly AcceptedUpdate[];
  closedAt: number;
}

/** The new model exists; its commit transaction is in flight (retryAt null) or waits to be retried. */
export interface CommittingState extends PhaseBase {
  phase: 'committing';
  round: number;
  baseHash: Hex;
  modelHash: Hex;
  /** Attempts made so far (the in-flight one included). */
  attempt: number;
  retryAt: number | null;
}

/** Stopped on an error that waiting does not fix (e.g. another coordinator committed this round). */
export interface HaltedState extends PhaseBase {
  phase: 'halted';
  round: number;
  reason: string;
}

/** The whole round state: plain JSON-able data, never mutated by `step`. */
export type RoundState = IdleState | CollectingState | AggregatingState | CommittingState | HaltedState;
export type RoundPhase = RoundState['phase'];

export type RoundEvent =
  /** Open `round` on `baseHash`; after a restart, with the updates the database kept and the original opening time. */
  | { type: 'start'; now: number; round: number; baseHash: Hex; accepted?: readonly AcceptedUpdate[]; openedAt?: number }
  /** After a restart with the round aggregated (its checkpoint written) but not known committed: commit it. */
  | { type: 'resumeCommit'; now: number; round: number; baseHash: Hex; modelHash: Hex }
  | { type: 'updateAccepted'; now: number; round: number; nodeKey: Hex; digest: Hex }
  | { type: 'heartbeat'; now: number; nodeKey: Hex }
  /** The nodes that now count towards the quorum (after a registry read, a slash, a round's attendance). */
  | { type: 'activeSet'; now: number; nodeKeys: readonly Hex[] }
  | { type: 'tick'; now: number }
  /** The coordinator finished aggregating (checkpoint written): commit this model. */
  | { type: 'aggregated'; now: number; round: number; modelHash: Hex }
  /** Aggregation could not produce a model (e.g. every update unusable): collect the round again. */
  | { type: 'aggregationFailed'; now: number; round: number; reason: string }
  /** The commit's receipt arrived (or the chain already holds this round with this model). */
  | { type: 'commitConfirmed'; now: number; round: number; modelHash: Hex; txHash?: Hex }
  /**
   * Commit attempt `attempt` failed: retryable errors (RPC down, timeouts) are retried with
   * backoff; others halt. A failure naming an older attempt is stale and ignored.
   */
  | { type: 'commitFailed'; now: number; round: number; attempt: number; error: string; retryable: boolean };

/**
 * Why a round closed: its deadline passed with quorum, every live node reported (with quorum),
 * or it waited `maxWaitMs` and has at least `minQuorum` updates.
 */
export type CloseReason = 'deadline' | 'all-reported' | 'max-wait';

export type IgnoredUpdateReason = 'not-collecting' | 'wrong-round' | 'duplicate';

export type RoundEffect =
  /** Record the round as open and announce it on gossip (again, when `reopened`). */
  | { type: 'openRound'; round: number; baseHash: Hex; openedAt: number; deadline: number; reopened: boolean }
  /** Aggregate these updates (sorted by digest), score them, write the checkpoint, then send `aggregated`. */
  | { type: 'aggregate'; round: number; baseHash: Hex; updates: readonly AcceptedUpdate[]; reason: CloseReason }
  /** Send the round's single commitRound transaction; answer with `commitConfirmed` or `commitFailed`. */
  | { type: 'commit'; round: number; baseHash: Hex; modelHash: Hex; attempt: number }
  /** A failed commit will be retried at `at` (on the first tick from then). */
  | { type: 'commitRetryScheduled'; round: number; attempt: number; at: number; error: string }
  /** Announce the committed model on gossip and serve it by hash. */
  | { type: 'announceModel'; round: number; modelHash: Hex; baseHash: Hex; txHash?: Hex }
  /** An update that does not join the round (record it with this reason). */
  | { type: 'updateIgnored'; round: number; nodeKey: Hex; digest: Hex; reason: IgnoredUpdateReason }
  /** A second, different update from one node in one round: keep the first, slash with the evidence. */
  | { type: 'equivocation'; round: number; nodeKey: Hex; firstDigest: Hex; secondDigest: Hex }
  /** An event that does not apply in this phase (a stale receipt, a late failure); log it. */
  | { type: 'eventIgnored'; event: RoundEvent['type']; phase: RoundPhase; reason: string }
  /** Stop the coordinator: committing cannot succeed by waiting. */
  | { type: 'halt'; round: number; reason: string };

export interface StepResult {
  state: RoundState;
  effects: RoundEffect[];
}
