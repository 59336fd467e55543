import { join } from 'node:path';
import { keccak256, toHex, type Address, type Hex } from 'viem';
import type { Logger } from 'pino';
import { connectGradnet, fetchChainId, roundLedgerAbi, type GradnetChain } from '../core/chain/index.ts';
import type { DaemonConfig } from '../core/config/index.ts';
import { initBackend, loadMnist, shardFor } from '../core/ml/index.ts';
import { createGradnetNode, type GradnetNode, type UpdateEvent } from '../core/p2p/index.ts';
import { createUpdateValidator, gradnetDomain, signUpdate, updateDigest, type GradnetDomain, type SignedUpdate, type ValidationContext } from '../core/protocol/index.ts';
import { CheckpointStore, decodeDelta, type Checkpoint } from '../core/tensor/index.ts';
import { backoffDelay } from '../core/time/index.ts';
import { loadKey } from '../core/wallet/index.ts';
import { RoundAuditor, type AuditResult } from './auditor.ts';
import { NodeNotRegisteredError } from './errors.ts';
import { ensureCheckpoint } from './model-sync.ts';
import { Trainer, type PreparedUpdate } from './trainer.ts';

const VERSION = '0.1.0';
const COORDINATOR_ROLE = keccak256(toHex('COORDINATOR_ROLE'));
/** Reconciliation retries: 1 s doubling to 15 s (the first failure already waits base·2). */
const RECONCILE_BACKOFF = { baseMs: 500, maxMs: 15_000 };

export interface DaemonOptions {
  config: DaemonConfig;
  logger: Logger;
  env?: Record<string, string | undefined>;
  /** Ask for the keystore password on a terminal when no file or variable gives it. */
  interactive?: boolean;
  /** Called with every audit verdict (the demo collects them; the log has them too). */
  onAudit?: (result: AuditResult) => void;
}

/** The round this node works on: the one after the latest committed, on the latest model. */
interface OpenRound {
  round: number;
  baseModelHash: Hex;
}

/**
 * The gradnet peer: follows the ledger and the gossip, trains each round on its shard from the
 * committed model, gossips its signed update, sends heartbeats and audits every committed round.
 * Chain and network failures are logged and retried with backoff; only `stop()` ends it.
 */
export class PeerDaemon {
  readonly nodeKey: Address;
  private readonly options: DaemonOptions;
  private readonly chain: GradnetChain;
  private readonly p2p: GradnetNode;
  private readonly store: CheckpointStore;
  private readonly trainer: Trainer;
  private readonly auditor: RoundAuditor;
  private readonly domain: GradnetDomain;
  private readonly privateKey: Hex;
  private readonly lifetime = new AbortController();
  private context: ValidationContext | undefined;
  private open: OpenRound | undefined;
  private base: Checkpoint | undefined;
  private published: { round: number; baseModelHash: Hex; update: SignedUpdate; heard: boolean; sentAt: number } | undefined;
  private lastAudited = 0;
  private wake: (() => void) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private failures = 0;
  /** The libp2p peer that publishes round-open and model-announce messages (validated as COORDINATOR_ROLE). */
  private coordinatorPeer: string | undefined;

  private constructor(parts: {
    options: DaemonOptions;
    chain: GradnetChain;
    p2p: GradnetNode;
    store: CheckpointStore;
    trainer: Trainer;
    domain: GradnetDomain;
    privateKey: Hex;
    nodeKey: Address;
  }) {
    this.options = parts.options;
    this.chain = parts.chain;
    this.p2p = parts.p2p;
    this.store = parts.store;
    this.trainer = parts.trainer;
    this.domain = parts.domain;
    this.privateKey = parts.privateKey;
    this.nodeKey = parts.nodeKey;
    this.auditor = new RoundAuditor({ logger: parts.options.logger });
  }

  /** Loads the node key, checks its registration, loads its shard and joins the network. */
  static async start(options: DaemonOptions): Promise<PeerDaemon> {
    const { config, logger } = options;
    const env = options.env ?? process.env;
    const chainId = await fetchChainId(config.rpcUrl);
    const key = await loadKey({ role: 'node', keystoreDir: config.keystoreDir, select: config.node, passwordFile: config.passwordFile, chainId, env, logger, interactive: options.interactive });
    const chain = await connectGradnet({ rpcUrl: config.rpcUrl, deploymentsFile: config.deployments });
    if (!(await chain.registry.isActive(key.address))) throw new NodeNotRegisteredError(key.address, chainId);

    await initBackend(config.backend, { logger });
    const mnist = await loadMnist();
    const shard = shardFor({
      data: mnist.train,
      seed: config.dataSeed,
      peers: config.shardCount,
      index: config.shardIndex,
      nodeKey: key.address,
      scheme: config.shardScheme,
      alpha: config.shardAlpha,
    });
    logger.info({ nodeKey: key.address, examples: shard.size, shardIndex: config.shardIndex, shardCount: config.shardCount, scheme: config.shardScheme }, `loaded a shard of ${shard.size} training examples`);

    const store = new CheckpointStore(join(config.dataDir, 'checkpoints'));
    const ledger = chain.deployments.contracts.RoundLedger.address;
    const domain = gradnetDomain(chainId, ledger);
    const coordinators = new Map<string, Promise<boolean>>();
    // The validator reads the daemon's current round, so it is created before the daemon it serves.
    const self: { daemon?: PeerDaemon } = {};
    const validator = createUpdateValidator({
      domain,
      directory: chain.registry,
      context: () => self.daemon?.context,
      isCoordinator: (address) => {
        const key = address.toLowerCase();
        if (!coordinators.has(key)) {
          const check = chain.clients.publicClient.readContract({ address: ledger, abi: roundLedgerAbi, functionName: 'hasRole', args: [COORDINATOR_ROLE, address] }) as Promise<boolean>;
          coordinators.set(key, check);
          check.catch(() => coordinators.delete(key));
        }
        return coordinators.get(key)!;
      },
      onEquivocation: (evidence) => logger.warn({ nodeKey: evidence.nodeKey, round: evidence.round, evidenceHash: evidence.evidenceHash }, `equivocation by ${evidence.nodeKey} in round ${evidence.round}`),
    });
    const p2p = createGradnetNode({
      privateKey: key.privateKey,
      listen: config.listen,
      bootstrap: config.bootstrap,
      chainId,
      ledger,
      validator,
      blobStore: { getBytes: (hash) => store.getBytes(hash).catch(() => undefined) },
    });
    const trainer = new Trainer({
      shard,
      innerSteps: config.innerSteps,
      batchSize: config.batchSize,
      learningRate: config.learningRate,
      codec: config.codec,
      topkFraction: config.topkFraction,
      seed: config.dataSeed,
      nodeKey: key.address,
      logger,
    });
    const daemon = new PeerDaemon({ options, chain, p2p, store, trainer, domain, privateKey: key.privateKey, nodeKey: key.address });
    self.daemon = daemon;
    await daemon.run();
    return daemon;
  }

  private async run(): Promise<void> {
    const { logger, config } = this.options;
    this.p2p.on('update', (event) => this.onUpdate(event));
    this.p2p.on('round-open', (event) => {
      logger.debug({ round: event.round, baseModelHash: event.baseModelHash, deadline: event.deadline }, `round ${event.round} opened`);
      this.coordinatorPeer = event.peer;
      // A (re)started coordinator opening the round we already sent for may have missed our update.
      if (this.published?.round === event.round) this.published.heard = false;
      this.wake?.();
    });
    this.p2p.on('model-announce', (event) => {
      logger.debug({ round: event.round, modelHash: event.modelHash }, `model of round ${event.round} announced`);
      this.coordinatorPeer = event.peer;
      this.wake?.();
    });
    this.p2p.on('refused', (event) => logger.debug({ kind: event.kind, reason: event.reason, detail: event.detail, peer: event.peer }, `refused a ${event.kind}: ${event.reason}`));
    await this.p2p.start({ signal: this.lifetime.signal });
    try {
      // Rounds committed before this node started are history it did not witness: nothing to audit.
      this.lastAudited = await this.chain.ledger.roundCount();
    } catch (error) {
      await this.p2p.stop();
      throw error;
    }
    logger.info({ nodeKey: this.nodeKey, peerId: this.p2p.peerId, multiaddrs: this.p2p.multiaddrs(), rounds: this.lastAudited }, `daemon started as node ${this.nodeKey}`);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), config.heartbeatSeconds * 1000);
    this.loop = this.follow();
  }

  /** Stops following rounds, leaves the network and resolves once everything has ended. */
  async stop(): Promise<void> {
    if (this.lifetime.signal.aborted) return;
    this.lifetime.abort(new Error('daemon stopping'));
    clearInterval(this.heartbeatTimer);
    this.wake?.();
    await this.loop?.catch(() => undefined);
    await this.p2p.stop();
    this.options.logger.info({ nodeKey: this.nodeKey }, 'daemon stopped');
  }

  get multiaddrs(): string[] {
    return this.p2p.multiaddrs();
  }

  private onUpdate(event: UpdateEvent): void {
    const { update } = event;
    this.auditor.observe({ round: update.round, baseModelHash: update.baseModelHash, nodeKey: update.nodeKey, digest: event.digest, delta: event.delta, samples: update.samples });
    this.options.logger.debug({ round: update.round, from: update.nodeKey, digest: event.digest }, `accepted the update of ${update.nodeKey} for round ${update.round}`);
  }

  /** The main loop: reconcile with the chain, then sleep until an event or the poll interval. */
  private async follow(): Promise<void> {
    const { logger, config } = this.options;
    const signal = this.lifetime.signal;
    while (!signal.aborted) {
      let pauseMs = config.chainPollSeconds * 1000;
      try {
        await this.reconcile(signal);
        if (this.failures > 0) logger.info({ after: this.failures }, 'chain and network reachable again');
        this.failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        this.failures += 1;
        pauseMs = backoffDelay(this.failures, RECONCILE_BACKOFF);
        logger.warn({ err: (error as Error).message, failures: this.failures, retryInMs: pauseMs }, `round step failed (${(error as Error).message}); retrying in ${pauseMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pauseMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private async reconcile(signal: AbortSignal): Promise<void> {
    const { ledger } = this.chain;
    const [count, latest] = await Promise.all([ledger.roundCount(), ledger.latestModelHash()]);
    while (this.lastAudited < count && !signal.aborted) await this.auditRound(this.lastAudited + 1, signal);
    const open: OpenRound = { round: count + 1, baseModelHash: latest };
    if (this.open?.round !== open.round || this.open.baseModelHash !== open.baseModelHash) {
      this.open = open;
      this.options.logger.info({ round: open.round, baseModelHash: latest }, `round ${open.round} is open on model ${latest.slice(0, 10)}`);
    }
    // The base model is read (and hash-checked) once per round, not on every poll.
    const base = this.base?.modelHash === latest ? this.base : await ensureCheckpoint({ hash: latest, store: this.store, p2p: this.p2p, logger: this.options.logger, signal });
    this.base = base;
    this.context = { round: open.round, baseModelHash: latest, parameterCount: base.params.length, maxNorm: this.options.config.maxUpdateNorm };
    if (this.published?.round === open.round && this.published.baseModelHash === latest) {
      await this.republishIfUnheard(signal);
      return;
    }
    await this.contribute(base, open, signal);
  }

  /** Trains, signs and gossips this node's update for the open round. */
  private async contribute(base: Checkpoint, open: OpenRound, signal: AbortSignal): Promise<void> {
    if ((await this.chain.ledger.latestModelHash()) !== base.modelHash) return;
    const prepared: PreparedUpdate = await this.trainer.train(base, open.round, signal);
    if ((await this.chain.ledger.roundCount()) !== open.round - 1) {
      this.options.logger.warn({ round: open.round }, `round ${open.round} was committed while this node trained; its update is dropped`);
      return;
    }
    const update = await signUpdate({ privateKey: this.privateKey, domain: this.domain, ...prepared });
    const digest = updateDigest(update, this.domain);
    // The coordinator aggregates what the payload decodes to, so the auditor must hold the same.
    const delta = decodeDelta(update.codec, prepared.payload, base.params.length);
    this.auditor.observe({ round: open.round, baseModelHash: base.modelHash, nodeKey: this.nodeKey, digest, delta, samples: update.samples });
    const sent = await this.p2p.publishUpdate(update, { signal });
    this.published = { round: open.round, baseModelHash: base.modelHash, update, heard: this.coordinatorListens(), sentAt: Date.now() };
    this.options.logger.info({ round: open.round, digest, recipients: sent.recipients, inline: sent.inline, bytes: prepared.payload.byteLength }, `gossiped update for round ${open.round} to ${sent.recipients} peers`);
  }

  /** A coordinator that was down (or a node with no peers yet) missed the update: send it again. */
  private async republishIfUnheard(signal: AbortSignal): Promise<void> {
    const published = this.published;
    if (published === undefined || published.heard || this.p2p.topicPeers('update').length === 0) return;
    if (Date.now() - published.sentAt < this.options.config.heartbeatSeconds * 1000) return;
    await this.p2p.publishUpdate(published.update, { signal });
    published.sentAt = Date.now();
    if (this.coordinatorListens()) {
      published.heard = true;
    }
    this.options.logger.info({ round: published.round, heard: published.heard }, `re-sent update for round ${published.round}`);
  }

  /** Whether the coordinator's peer is subscribed to updates right now (unknown coordinator: assume not). */
  private coordinatorListens(): boolean {
    return this.coordinatorPeer !== undefined && this.p2p.topicPeers('update').includes(this.coordinatorPeer);
  }

  private async auditRound(round: number, signal: AbortSignal): Promise<void> {
    const committed = await this.chain.ledger.getRound(round);
    if (this.options.config.audit && (await this.store.has(committed.parentHash))) {
      const parent = await this.store.get(committed.parentHash);
      const produced = await ensureCheckpoint({ hash: committed.modelHash, store: this.store, p2p: this.p2p, logger: this.options.logger, signal });
      const result = this.auditor.audit(committed, parent, produced, await this.includedDigests(round, signal));
      this.options.onAudit?.(result);
    }
    this.lastAudited = round;
  }

  /** The coordinator's list of a round's update digests, when its API is configured and answers. */
  private async includedDigests(round: number, signal: AbortSignal): Promise<Hex[] | undefined> {
    const api = this.options.config.coordinatorUrl;
    if (api === undefined) return undefined;
    try {
      const response = await fetch(`${api.replace(/\/$/, '')}/rounds/${round}`, { signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]) });
      if (!response.ok) return undefined;
      const body = (await response.json()) as { digests?: unknown };
      return Array.isArray(body.digests) && body.digests.every((digest) => typeof digest === 'string') ? (body.digests as Hex[]) : undefined;
    } catch {
      return undefined;
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.open === undefined || !this.p2p.running) return;
    try {
      await this.p2p.publishHeartbeat({ nodeKey: this.nodeKey, round: this.open.round, modelHash: this.open.baseModelHash, version: VERSION, timestamp: Date.now() });
    } catch (error) {
      this.options.logger.debug({ err: (error as Error).message }, 'heartbeat not sent');
    }
  }
}
