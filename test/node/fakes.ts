import type { Hex } from 'viem';
import type { StructuredLogger } from '../../core/log/index.ts';
import type {
  Abortable,
  AuditJudgement,
  GossipEvent,
  HeardUpdate,
  PeerAuditor,
  PeerChain,
  PeerGossip,
  PeerHeartbeat,
  PeerRecord,
  PeerStore,
  ModelSource,
  PeerSigner,
  PeerTrainer,
  SignedCommitmentBytes,
  SignedUpdateBytes,
  TrainedUpdate,
  UpdateWindow,
} from '../../core/peer/index.ts';
import type { Clock } from '../../core/time/index.ts';

/** Lets every promise chain that is ready run (the daemon's work, then its next steps). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Time that moves only when the test says so. */
export class ManualClock implements Clock {
  #now = 1_000_000;
  #timers: Array<{ at: number; fire: () => void }> = [];

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = {
        at: this.#now + ms,
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#timers = this.#timers.filter((other) => other !== timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Moves time forward by `ms`, firing timers in order and letting the daemon react to each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const due = this.#timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((timer) => timer !== due);
      this.#now = Math.max(this.#now, due.at);
      due.fire();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}

/** A promise the test resolves when it wants to. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

export const NODE_KEY: Hex = `0x${'11'.repeat(20)}`;
export const GENESIS: Hex = `0x${'00'.repeat(32)}`;
export const MODEL_1: Hex = `0x${'01'.repeat(32)}`;

export class FakeChain implements PeerChain {
  roundCountValue = 0;
  latest: Hex = GENESIS;
  /** Reads that throw, as with the RPC endpoint down. */
  failing = 0;
  reads: number[] = [];
  failedReads: number[] = [];

  constructor(private readonly clock: Clock) {}

  #read<T>(value: T): Promise<T> {
    this.reads.push(this.clock.now());
    if (this.failing > 0) {
      this.failing -= 1;
      this.failedReads.push(this.clock.now());
      return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:8545'));
    }
    return Promise.resolve(value);
  }

  roundCount(): Promise<number> {
    return this.#read(this.roundCountValue);
  }

  latestModelHash(): Promise<Hex> {
    return Promise.resolve(this.latest);
  }

  /** Every committed round is final unless a test says otherwise. */
  finalRoundValue: number | undefined;

  latestFinalRound(): Promise<number> {
    return Promise.resolve(this.finalRoundValue ?? this.roundCountValue);
  }

  isActive(): Promise<boolean> {
    return Promise.resolve(true);
  }

  isCoordinator(): Promise<boolean> {
    return Promise.resolve(true);
  }

  /** Commits the open round with model `modelHash`. */
  commit(modelHash: Hex): void {
    this.roundCountValue += 1;
    this.latest = modelHash;
  }

  /** A challenge voided round `round` and every later one: the ledger's head is back at `restored`. */
  voidFrom(round: number, restored: Hex): void {
    this.roundCountValue = round - 1;
    this.latest = restored;
  }
}

/**
 * The network as the daemon sees it. Like a coordinator that hears every node commit, it
 * announces the reveal of a round once a commitment to it is gossiped (unless `autoReveal` is off).
 */
export class FakeGossip implements PeerGossip {
  readonly peerId = 'self';
  autoReveal = true;
  commitments: SignedCommitmentBytes[] = [];
  published: SignedUpdateBytes[] = [];
  heartbeats: PeerHeartbeat[] = [];
  windows: UpdateWindow[] = [];
  subscribers: string[] = [];
  running = false;
  #listener: ((event: GossipEvent) => void) | undefined;

  async start(): Promise<void> {
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
  }

  multiaddrs(): string[] {
    return [];
  }

  subscribe(listener: (event: GossipEvent) => void): void {
    this.#listener = listener;
  }

  emit(event: GossipEvent): void {
    this.#listener?.(event);
  }

  acceptUpdatesFor(window: UpdateWindow): void {
    this.windows.push(window);
  }

  async publishCommitment(commitment: SignedCommitmentBytes): Promise<{ recipients: number }> {
    this.commitments.push(commitment);
    // After the daemon has taken the publish in, as a reveal comes over the network.
    if (this.autoReveal) setImmediate(() => this.emit({ type: 'roundOpen', round: commitment.round, baseModelHash: commitment.baseModelHash, reveal: true, peer: 'coordinator' }));
    return { recipients: this.subscribers.length };
  }

  async publishUpdate(update: SignedUpdateBytes): Promise<{ recipients: number; inline: boolean }> {
    this.published.push(update);
    return { recipients: this.subscribers.length, inline: true };
  }

  async publishHeartbeat(heartbeat: PeerHeartbeat): Promise<void> {
    this.heartbeats.push(heartbeat);
  }

  updateSubscribers(): string[] {
    return this.subscribers;
  }
}

export class FakeModels implements ModelSource {
  /** Fetches that fail, as when no peer serves the model or the blob does not verify. */
  failing = 0;
  attempts: Hex[] = [];
  verified = new Set<Hex>();

  async ensure(modelHash: Hex): Promise<{ modelHash: Hex; parameterCount: number }> {
    this.attempts.push(modelHash);
    if (this.failing > 0) {
      this.failing -= 1;
      throw new Error(`no connected peer served ${modelHash}`);
    }
    this.verified.add(modelHash);
    return { modelHash, parameterCount: 4 };
  }
}

export class FakeTrainer implements PeerTrainer {
  calls: Array<{ round: number; baseModelHash: Hex; residual: Float32Array | undefined }> = [];
  /** When set, training waits for it (a round can be committed meanwhile). */
  gate: Promise<void> | undefined;

  async train(input: { round: number; baseModelHash: Hex; residual: Float32Array | undefined }): Promise<TrainedUpdate> {
    this.calls.push(input);
    await this.gate;
    return { round: input.round, baseModelHash: input.baseModelHash, residual: Float32Array.of(input.round) };
  }
}

export class FakeSigner implements PeerSigner {
  readonly nodeKey = NODE_KEY;
  signed: SignedUpdateBytes[] = [];

  /** Deterministic, as a real signature is: the same update, the same commitment bytes. */
  async commit(update: SignedUpdateBytes): Promise<SignedCommitmentBytes> {
    return { round: update.round, baseModelHash: update.baseModelHash, digest: update.digest, bytes: Uint8Array.of(0xc0, ...update.bytes) };
  }

  async sign(trained: TrainedUpdate): Promise<SignedUpdateBytes> {
    const serial = this.signed.length + 1;
    const update = { round: trained.round, baseModelHash: trained.baseModelHash, digest: `0x${serial.toString(16).padStart(64, 'a')}` as Hex, bytes: Uint8Array.of(trained.round, serial) };
    this.signed.push(update);
    return update;
  }
}

export class FakeAuditor implements PeerAuditor {
  observed: HeardUpdate[] = [];
  own: SignedUpdateBytes[] = [];
  audited: number[] = [];
  /** Rounds this auditor judges wrong (mismatch), with the committed model it judged. */
  wrong = new Map<number, Hex>();
  /** Rounds whose inputs are not at hand: `audit` returns unjudged and the background retries judge them when the test resolves these. */
  late = new Map<number, { promise: Promise<AuditJudgement>; resolve: (judgement: AuditJudgement) => void }>();

  observe(update: HeardUpdate): void {
    this.observed.push(update);
  }

  observeOwn(update: SignedUpdateBytes): void {
    this.own.push(update);
  }

  async audit(round: number, _options?: Abortable): Promise<AuditJudgement> {
    this.audited.push(round);
    const later = this.late.get(round);
    if (later !== undefined) return { modelHash: GENESIS, wrong: false, later: later.promise };
    const judged = this.wrong.get(round);
    return { modelHash: judged ?? GENESIS, wrong: judged !== undefined };
  }
}

/** A data directory in memory: survives the daemons that open it, one at a time. */
export class MemoryPeerStore implements PeerStore {
  record: PeerRecord | undefined;
  saves: PeerRecord[] = [];
  /** Writes that fail, as with a full disk. */
  failing = 0;
  #open = false;

  async open(): Promise<PeerRecord | undefined> {
    if (this.#open) throw new Error('another daemon holds this store');
    this.#open = true;
    return this.record;
  }

  async save(record: PeerRecord): Promise<void> {
    if (this.failing > 0) {
      this.failing -= 1;
      throw new Error('ENOSPC: no space left on device');
    }
    this.saves.push(record);
    this.record = record;
  }

  async close(): Promise<void> {
    this.#open = false;
  }
}

export class MemoryLogger implements StructuredLogger {
  lines: Array<{ level: string; message: string; fields: object }> = [];
  debug(fields: object, message: string): void {
    this.lines.push({ level: 'debug', message, fields });
  }
  info(fields: object, message: string): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(fields: object, message: string): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(fields: object, message: string): void {
    this.lines.push({ level: 'error', message, fields });
  }
}
