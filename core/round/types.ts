import type { Hex } from 'viem';
import type { RoundConfig } from './config.ts';

/** An update the validator accepted for a round; `digest` is what aggregation orders by. */
export interface AcceptedUpdate {
  nodeKey: Hex;
  digest: Hex;
}

/** A node's commitment, taken before the reveal: the digest of the one update of its the round will count. */
export interface AcceptedCommitment {
  nodeKey: Hex;
  /** The committed update's EIP-712 digest. */
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

/**
 * Round `round` collects on model `baseHash`, in two stages: `commit` takes commitments (and
 * the updates that match one), until quorum and deadline, every live node committed, or the
 * longest wait; then `reveal` takes only the committed updates, until all of them arrived or
 * `revealMs` passed. A commitment after the reveal opened is refused (`commit_late`), and so is
 * an update that matches no commitment (`uncommitted`): whoever sees a payload only once it is
 * revealed cannot commit to a copy of it.
 */
export interface CollectingState extends PhaseBase {
  phase: 'collecting';
  round: number;
  baseHash: Hex;
  stage: 'commit' | 'reveal';
  /** When the round was (last re-)announced; deadline and longest wait count from here. */
  openedAt: number;
  /** When the reveal opened; null in the commit stage. */
  revealedAt: number | null;
  /** Accepted commitments in arrival order, at most one per node. */
  commitments: readonly AcceptedCommitment[];
  /** Accepted updates in arrival order, at most one per node, each matching its node's commitment. */
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
  /**
   * Open `round` on `baseHash`; after a restart, with the commitments and updates the database
   * kept, the original opening time, and when its reveal opened (if it had).
   */
  | {
      type: 'start';
      now: number;
      round: number;
      baseHash: Hex;
      commitments?: readonly AcceptedCommitment[];
      accepted?: readonly AcceptedUpdate[];
      openedAt?: number;
      revealedAt?: number | null;
    }
  /** After a restart with the round aggregated (its checkpoint written) but not known committed: commit it. */
  | { type: 'resumeCommit'; now: number; round: number; baseHash: Hex; modelHash: Hex }
  | { type: 'updateAccepted'; now: number; round: number; nodeKey: Hex; digest: Hex }
  /** A commitment the validator accepted: `digest` is the committed update's. */
  | { type: 'commitmentAccepted'; now: number; round: number; nodeKey: Hex; digest: Hex }
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
 * Why a round's reveal opened: its deadline passed with a quorum of commitments, every live node
 * committed (with quorum), or it waited `maxWaitMs` and has at least `minQuorum` commitments.
 */
export type RevealReason = 'deadline' | 'all-reported' | 'max-wait';

/** Why a round closed: every committed update arrived, or the reveal's time ran out (with at least `minQuorum`). */
export type CloseReason = 'all-revealed' | 'reveal-deadline';

/** `uncommitted`: no commitment of the node taken before the reveal, or one to another digest. */
export type IgnoredUpdateReason = 'not-collecting' | 'wrong-round' | 'duplicate' | 'uncommitted';

/** `commit_late`: the reveal was open; `conflict`: the node committed to another update first (the first stays). */
export type IgnoredCommitmentReason = 'not-collecting' | 'wrong-round' | 'duplicate' | 'commit_late' | 'conflict';

export type RoundEffect =
  /** Record the round as open and announce it on gossip (again, when `reopened`); it takes commitments until `deadline`. */
  | { type: 'openRound'; round: number; baseHash: Hex; openedAt: number; deadline: number; reopened: boolean }
  /** Record that the reveal opened and announce it: committed nodes send their updates by `deadline`; commitments are refused from now on. */
  | { type: 'openReveal'; round: number; baseHash: Hex; revealedAt: number; deadline: number; reason: RevealReason }
  /**
   * The round's aggregation failed and it is collected again from scratch: forget its commitments
   * and updates (journal and validator), so the same commitments and updates, re-sent, are taken again.
   */
  | { type: 'forgetRound'; round: number }
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
  /** A commitment that does not join the round (record it with this reason). */
  | { type: 'commitmentIgnored'; round: number; nodeKey: Hex; digest: Hex; reason: IgnoredCommitmentReason }
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
