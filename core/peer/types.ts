import type { Hex } from 'viem';
import type { BackoffOptions } from '../time/index.ts';

/** How often the peer polls, beats and retries. All times in milliseconds. */
export interface PeerConfig {
  /** This peer's node key: an update signed with it that the peer did not make is an impostor's. */
  nodeKey: Hex;
  /** Chain reads while nothing else is going on. */
  pollMs: number;
  heartbeatMs: number;
  /** An update the coordinator may not have heard is sent again at most this often. */
  republishAfterMs: number;
  /** Replay every committed round from the gossiped updates. */
  audit: boolean;
  /** Waits after consecutive failures (RPC down, model unavailable): base·2^failures, capped. */
  backoff: BackoffOptions;
}

/** The step of a round that is under way; one at a time, its result comes back as an event. */
export type PeerWork =
  | { kind: 'readChain' }
  | { kind: 'audit'; round: number }
  | { kind: 'fetchModel'; modelHash: Hex }
  | { kind: 'train'; round: number; baseModelHash: Hex }
  | { kind: 'sign'; round: number; baseModelHash: Hex }
  | { kind: 'publishCommitment'; round: number; digest: Hex }
  | { kind: 'publish'; round: number; digest: Hex };
export type PeerWorkKind = PeerWork['kind'];

/**
 * The one update this peer signed for `round`; it is never replaced by another for that round.
 * Its commitment is gossiped first; the update itself only once the coordinator announced the
 * reveal after the commitment went out, so nobody sees the payload while commitments are taken.
 */
export interface SignedRecord {
  round: number;
  baseModelHash: Hex;
  digest: Hex;
  /** When its commitment was last gossiped; null while it never was (by this process). */
  committedAt: number | null;
  /** The coordinator was subscribed when the commitment was last sent. */
  commitHeard: boolean;
  /** The coordinator announced the reveal of this round after the commitment was sent: the update may go out. */
  revealed: boolean;
  /** When it was last gossiped; null while it never was (by this process). */
  sentAt: number | null;
  /** The coordinator was subscribed when it was last sent. */
  heard: boolean;
  /** Read back from the peer store after a restart: every send is a re-send. */
  restored: boolean;
}

/** The peer's whole state: plain data, never mutated by `step`. */
export interface PeerState {
  config: PeerConfig;
  /** Committed rounds up to this one are audited, or were committed before this peer started. */
  auditedThrough: number;
  /** The round after the latest committed one, on the latest model; null before the first chain read. */
  open: { round: number; baseModelHash: Hex } | null;
  /** The verified model this peer holds in memory. */
  base: { modelHash: Hex; parameterCount: number } | null;
  /**
   * An update trained and not signed yet (the daemon holds it): signed only if a fresh chain
   * read shows its round still open on its base, since training takes long enough for it to close.
   */
  trained: { round: number; baseModelHash: Hex } | null;
  /** The latest update this peer signed; rounds up to its round are never signed again. */
  signed: SignedRecord | null;
  work: PeerWork | null;
  /** Next chain read while idle (after failures: when the backoff ends). */
  pollAt: number;
  heartbeatAt: number;
  /** Consecutive failed steps; reset once a pass through the round settles. */
  failures: number;
  /** The libp2p peer that announces rounds and models. */
  coordinatorPeer: string | null;
  /** The round (and model) whose reveal the coordinator last announced open; null while it takes commitments. */
  reveal: { round: number; baseModelHash: Hex } | null;
  /** Set when someone else signs with this peer's key: nothing is signed or gossiped any more. */
  impostor: { round: number; digest: Hex; reason: string } | null;
  /**
   * Committed rounds this peer's own audit judged wrong that are neither voided nor final yet,
   * oldest first. While any is left, every open round builds on a wrong model: nothing is trained
   * or signed (a round voided later would leave that update signed for a round the ledger reopens).
   */
  distrusted: readonly { round: number; modelHash: Hex }[];
}

export type PeerEvent =
  /** The peer joined the network; rounds up to `roundCount` predate it. `restored`: what it signed before a restart. */
  /**
   * `finalRound`: the latest final round. The rounds committed after it can still be challenged,
   * so they are audited although committed before this start (a restart mid-window still judges
   * them); the rounds up to it are history. Without it, every committed round is history.
   */
  | { type: 'start'; now: number; roundCount: number; finalRound?: number; restored?: { round: number; baseModelHash: Hex; digest: Hex } }
  | { type: 'tick'; now: number }
  /** A chain read (`finalRound`: the latest round past its challenge window), with the peers subscribed to updates at that moment. */
  | { type: 'chainRead'; now: number; roundCount: number; latestModelHash: Hex; finalRound: number; updateSubscribers: readonly string[] }
  /** Round `round` is audited; `wrongModel`: the committed model the audit judged wrong (mismatch or unavailable). */
  | { type: 'audited'; now: number; round: number; wrongModel?: Hex }
  /** The background retries of an audit that returned unjudged judged committed round `round`'s model `modelHash` wrong. */
  | { type: 'judgedWrongLate'; now: number; round: number; modelHash: Hex }
  /** The model `modelHash` is stored and verified (fetched by hash if it was missing). */
  | { type: 'modelLoaded'; now: number; modelHash: Hex; parameterCount: number }
  | { type: 'trained'; now: number; round: number; baseModelHash: Hex }
  /** The update is signed and written down: it may be gossiped. */
  | { type: 'signed'; now: number; round: number; baseModelHash: Hex; digest: Hex }
  | { type: 'commitmentPublished'; now: number; round: number; digest: Hex; updateSubscribers: readonly string[] }
  | { type: 'published'; now: number; round: number; digest: Hex; updateSubscribers: readonly string[] }
  | { type: 'workFailed'; now: number; work: PeerWorkKind; error: string }
  /** The coordinator announced `round` on `baseModelHash`: taking commitments, or (`reveal`) the committed updates. */
  | { type: 'roundOpenHeard'; now: number; round: number; baseModelHash: Hex; reveal: boolean; peer: string }
  | { type: 'modelAnnounced'; now: number; round: number; peer: string }
  /** Gossip carried an update signed with this peer's key (or evidence that two were). */
  | { type: 'ownKeyHeard'; now: number; round: number; digest: Hex };

export type PeerEffect =
  | { type: 'readChain' }
  /** A new round is open (log it). */
  | { type: 'roundOpened'; round: number; baseModelHash: Hex }
  /** Replay committed round `round`, then send `audited`. */
  | { type: 'audit'; round: number }
  /** Load the model `modelHash`, fetching and verifying it by hash if needed; then `modelLoaded`. */
  | { type: 'fetchModel'; modelHash: Hex }
  | { type: 'train'; round: number; baseModelHash: Hex }
  /** The trained update is thrown away unsigned. */
  | { type: 'dropUpdate'; round: number; reason: string }
  /** Sign the trained update and write it down before anything is gossiped; then `signed`. */
  | { type: 'sign'; round: number; baseModelHash: Hex }
  /** Gossip the commitment to the signed update `digest`, the same bytes every time; then `commitmentPublished`. */
  | { type: 'publishCommitment'; round: number; digest: Hex; resend: boolean }
  /** Gossip the signed update `digest`, the same bytes every time; then `published`. */
  | { type: 'publish'; round: number; digest: Hex; resend: boolean }
  | { type: 'heartbeat'; round: number; modelHash: Hex; timestamp: number }
  | { type: 'retryScheduled'; work: PeerWorkKind; failures: number; delayMs: number; error: string }
  | { type: 'recovered'; failures: number }
  /** Another process signs with this peer's key: stop gossiping and say why, loudly. */
  | { type: 'stopPublishing'; round: number; digest: Hex; reason: string }
  /** This peer's audit judged round `round`'s model wrong: nothing is trained on it until the round is voided or final. */
  | { type: 'withholding'; round: number; modelHash: Hex }
  /** Round `round`, judged wrong, was voided (the ledger went back) or became final (the network accepted it): training resumes. */
  | { type: 'resuming'; round: number; because: 'voided' | 'final' }
  /** An event that does not apply now (a stale result); log it. */
  | { type: 'eventIgnored'; event: PeerEvent['type']; reason: string };

export interface PeerStepResult {
  state: PeerState;
  effects: PeerEffect[];
}
