import type { Hex } from 'viem';
import type { StructuredLogger } from '../log/index.ts';
import type { Clock } from '../time/index.ts';

/** What every call that can hang takes. */
export interface Abortable {
  signal?: AbortSignal;
}

/** The ledger, as far as a peer reads it. */
export interface PeerChain {
  roundCount(options?: Abortable): Promise<number>;
  latestModelHash(options?: Abortable): Promise<Hex>;
  /**
   * The latest round whose challenge window is over; the rounds after it can still be challenged.
   * `roundCount`: the count the caller has just read (saves reading it again).
   */
  latestFinalRound(options?: Abortable & { roundCount?: number }): Promise<number>;
  /** Whether `nodeKey` is registered and active (who may gossip updates). */
  isActive(nodeKey: Hex, options?: Abortable): Promise<boolean>;
  /** Whether `address` holds the coordinator role (who may open rounds and announce models). */
  isCoordinator(address: Hex, options?: Abortable): Promise<boolean>;
}

/** An update gossip delivered, validated, with its decoded delta (what an audit replays). */
export interface HeardUpdate {
  round: number;
  baseModelHash: Hex;
  nodeKey: Hex;
  digest: Hex;
  delta: Float32Array;
  samples: number;
}

/** A signed update as it goes on the wire: the exact bytes are what is stored and re-sent. */
export interface SignedUpdateBytes {
  round: number;
  baseModelHash: Hex;
  /** EIP-712 digest: the update's identity (two different ones for a round are equivocation). */
  digest: Hex;
  bytes: Uint8Array;
}

/** The commitment to a signed update, as it goes on the wire (re-sent in the same bytes). */
export interface SignedCommitmentBytes {
  round: number;
  baseModelHash: Hex;
  /** The committed update's digest. */
  digest: Hex;
  bytes: Uint8Array;
}

export type GossipEvent =
  /** The coordinator's announcement of a round's stage: commitments, or (`reveal`) the committed updates. */
  | { type: 'roundOpen'; round: number; baseModelHash: Hex; reveal: boolean; peer: string }
  | { type: 'modelAnnounce'; round: number; modelHash: Hex; peer: string }
  | { type: 'update'; update: HeardUpdate }
  /** Two different updates signed by `nodeKey` for `round` (either may have been refused). */
  | { type: 'equivocation'; round: number; nodeKey: Hex; digests: readonly Hex[] };

export interface PeerHeartbeat {
  nodeKey: Hex;
  round: number;
  modelHash: Hex;
  version: string;
  timestamp: number;
}

/** The open round incoming updates are validated against. */
export interface UpdateWindow {
  round: number;
  baseModelHash: Hex;
  parameterCount: number;
}

/** The peer-to-peer network: gossip in both directions. */
export interface PeerGossip {
  start(options?: Abortable): Promise<void>;
  stop(): Promise<void>;
  readonly peerId: string;
  multiaddrs(): string[];
  /** Every validated message from now on goes to `listener`. */
  subscribe(listener: (event: GossipEvent) => void): void;
  acceptUpdatesFor(window: UpdateWindow): void;
  publishCommitment(commitment: SignedCommitmentBytes, options?: Abortable): Promise<{ recipients: number }>;
  publishUpdate(update: SignedUpdateBytes, options?: Abortable): Promise<{ recipients: number; inline: boolean }>;
  publishHeartbeat(heartbeat: PeerHeartbeat, options?: Abortable): Promise<void>;
  /** Peers subscribed to updates right now. */
  updateSubscribers(): string[];
}

/** Checkpoints by hash: from local storage, or fetched from peers and verified before use. */
export interface ModelSource {
  ensure(modelHash: Hex, options?: Abortable): Promise<{ modelHash: Hex; parameterCount: number }>;
}

/** What local training produced; `residual` is the error feedback the next round starts from. */
export interface TrainedUpdate {
  round: number;
  baseModelHash: Hex;
  residual: Float32Array | undefined;
}

export interface PeerTrainer<Trained extends TrainedUpdate = TrainedUpdate> {
  /** Trains round `round` from the model `baseModelHash` (held by the model source) plus `residual`. */
  train(input: { round: number; baseModelHash: Hex; residual: Float32Array | undefined }, options?: Abortable): Promise<Trained>;
}

export interface PeerSigner<Trained extends TrainedUpdate = TrainedUpdate> {
  readonly nodeKey: Hex;
  sign(trained: Trained, options?: Abortable): Promise<SignedUpdateBytes>;
  /**
   * The commitment to `update` (signed by the node key). Deterministic: the same update always
   * gives the same bytes, so a restarted daemon re-sends exactly what it sent before.
   */
  commit(update: SignedUpdateBytes, options?: Abortable): Promise<SignedCommitmentBytes>;
}

/**
 * What an audit concluded by the time `audit` returned. `wrong`: this node judged the committed
 * model `modelHash` wrong (`mismatch`, or `unavailable`, which counts as one); false while it
 * matched, was abstained on, or is still being tried in the background.
 */
export interface AuditJudgement {
  modelHash: Hex;
  wrong: boolean;
  /**
   * Present while the round's inputs were not at hand and the audit goes on in the background:
   * the judgement its retries reach (not wrong when they are abandoned or the daemon stops). A
   * late `wrong` binds the daemon exactly as one reached at once.
   */
  later?: Promise<AuditJudgement>;
}

/** Replays committed rounds from the updates the peer saw. */
export interface PeerAuditor {
  observe(update: HeardUpdate): void;
  /** This peer's own update (gossip does not deliver it back). */
  observeOwn(update: SignedUpdateBytes): void;
  audit(round: number, options?: Abortable): Promise<AuditJudgement>;
}

/** What a peer signed last, written down before it is gossiped. */
export interface PeerRecord {
  update: SignedUpdateBytes;
  /** The error feedback after this update: where the next round's training starts from. */
  residual: Float32Array | undefined;
}

/**
 * The peer's durable state. After a crash the daemon re-sends exactly the update it recorded and
 * never signs another for that round; a node is slashed for two different updates in one round.
 */
export interface PeerStore {
  /** Claims the store for this process (one daemon per data directory and node key) and reads the last record. */
  open(options?: Abortable): Promise<PeerRecord | undefined>;
  /** Writes `record` durably (atomically, synced to disk); nothing is gossiped before it returns. */
  save(record: PeerRecord, options?: Abortable): Promise<void>;
  /** Releases the claim. */
  close(): Promise<void>;
}


/** Everything the peer daemon talks to. */
export interface PeerPorts<Trained extends TrainedUpdate = TrainedUpdate> {
  chain: PeerChain;
  gossip: PeerGossip;
  models: ModelSource;
  trainer: PeerTrainer<Trained>;
  signer: PeerSigner<Trained>;
  auditor: PeerAuditor;
  store: PeerStore;
  clock: Clock;
  logger: StructuredLogger;
}
