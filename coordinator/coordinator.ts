import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Hex } from 'viem';
import { connectGradnet, nodeRegistryAbi, type GradnetChain } from '../core/chain/index.ts';
import { initBackend, initialParams, layoutFor, loadMnist, resolveModelSpec, type Dataset, type ModelSpec } from '../core/ml/index.ts';
import { createGradnetNode, type GradnetNode, type RefusedEvent, type UpdateEvent } from '../core/p2p/index.ts';
import {
  createUpdateValidator,
  decodeUpdate,
  encodeUpdate,
  equivocationEvidence,
  gradnetDomain,
  updateDigest,
  type EquivocationEvidence,
  type GradnetDomain,
  type Heartbeat,
  type ValidationContext,
} from '../core/protocol/index.ts';
import { initialRoundState, nextWakeAt, step, type RoundEffect, type RoundEvent, type RoundState } from '../core/round/index.ts';
import { CheckpointStore, createCheckpoint, layoutSize } from '../core/tensor/index.ts';
import { createApiSource, type LiveStatus } from './api.ts';
import { errorMessage } from '../core/errors.ts';
import { fromFixedPoint } from '../core/units/index.ts';
import { commitAttempt, isRetryableCommitError } from './commit.ts';
import { parseCoordinatorConfig, type CoordinatorConfig, type CoordinatorConfigInput } from './config.ts';
import { ChainStateError, CoordinatorConfigError, CoordinatorError, StoreError } from './errors.ts';
import { startApiServer, type ApiServer } from './http.ts';
import { createCoordinatorMetrics, type CoordinatorMetrics } from './metrics.ts';
import { NodeView } from './node-view.ts';
import { sleep } from '../core/time/index.ts';
import { produceRound } from './round-work.ts';
import { Slasher } from './slashing.ts';
import { CoordinatorStore } from './store.ts';

/** Parts the coordinator builds from its config unless they are handed in (js-libp2p style). */
export interface CoordinatorComponents {
  /** pino logger; silent when not given. */
  logger?: Logger;
  /** Where /metrics lives; a fresh registry when not given. */
  metricsRegistry?: Registry;
  /** An already connected chain, e.g. a demo's; connectGradnet(rpcUrl, privateKey) otherwise. */
  chain?: GradnetChain;
  /** Validation examples for evaluation and scoring; MNIST's validation split otherwise. */
  validation?: Dataset;
  now?: () => number;
}

export interface CoordinatorEvents {
  roundOpened: [{ round: number; baseHash: Hex; deadline: number; reopened: boolean }];
  roundAggregated: [{ round: number; modelHash: Hex; loss: number; accuracy: number; contributors: number }];
  roundCommitted: [{ round: number; modelHash: Hex; txHash: Hex | null }];
  slashed: [{ nodeKey: Hex; evidenceHash: Hex; txHash?: Hex; error?: string }];
  halted: [{ reason: string }];
}

export interface Coordinator extends EventEmitter<CoordinatorEvents> {
  readonly config: CoordinatorConfig;
  /** Opens the store, connects to the chain and the network, recovers, then runs rounds. */
  start(): Promise<void>;
  /** Stops everything it started; safe to call more than once and after a failure. */
  stop(): Promise<void>;
  /** Resolves once stopped (by `stop()` or after `maxRounds`); rejects with the fatal error that stopped it. */
  readonly done: Promise<void>;
  /** `http://127.0.0.1:<port>` once started. */
  readonly apiUrl: string | undefined;
  /** The libp2p peer id once started. */
  readonly peerId: string | undefined;
  /** Listen addresses with `/p2p/<peer id>`, for peers to bootstrap from. */
  multiaddrs(): string[];
  /** The current round-state phase and round, for tests and the demo. */
  roundState(): RoundState;
  readonly store: CoordinatorStore | undefined;
}

/** How often NodeRegistry events are read. */
const REGISTRY_EVENTS_MS = 1000;

/** Creates a coordinator from a config (validated with zod) and optional components; call `start()`. */
export function createCoordinator(config: CoordinatorConfigInput | CoordinatorConfig, components: CoordinatorComponents = {}): Coordinator {
  return new GradnetCoordinator(parseCoordinatorConfig(config), components);
}

interface Running {
  store: CoordinatorStore;
  chain: GradnetChain;
  domain: GradnetDomain;
  checkpoints: CheckpointStore;
  nodes: NodeView;
  slasher: Slasher;
  node: GradnetNode;
  api: ApiServer;
  spec: ModelSpec;
  validation: Dataset;
}

class GradnetCoordinator extends EventEmitter<CoordinatorEvents> implements Coordinator {
  readonly config: CoordinatorConfig;
  readonly done: Promise<void>;
  private readonly components: CoordinatorComponents;
  private readonly logger: Logger | undefined;
  private readonly metrics: CoordinatorMetrics;
  private readonly now: () => number;
  private readonly lifetime = new AbortController();
  private state: RoundState;
  private running: Partial<Running> = {};
  private wakeTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private eventTimer: NodeJS.Timeout | undefined;
  /** The last block whose NodeRegistry events were read; null while a read is in flight. */
  private registryBlock: bigint | null = null;
  private readonly tasks = new Set<Promise<unknown>>();
  private committedHere = 0;
  private deadline: number | null = null;
  private halted: string | null = null;
  private startedMs = 0;
  private stopping: Promise<void> | undefined;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;

  constructor(config: CoordinatorConfig, components: CoordinatorComponents) {
    super();
    this.config = config;
    this.components = components;
    this.logger = components.logger;
    this.metrics = createCoordinatorMetrics(components.metricsRegistry);
    this.now = components.now ?? Date.now;
    this.state = initialRoundState(config.round);
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Callers may never await `done`; a fatal error is still logged and reported by `stop`.
    this.done.catch(() => undefined);
  }

  get apiUrl(): string | undefined {
    return this.running.api?.url;
  }

  get peerId(): string | undefined {
    return this.running.node?.running ? this.running.node.peerId : undefined;
  }

  get store(): CoordinatorStore | undefined {
    return this.running.store;
  }

  multiaddrs(): string[] {
    return this.running.node?.running ? this.running.node.multiaddrs() : [];
  }

  roundState(): RoundState {
    return this.state;
  }

  async start(): Promise<void> {
    if (this.running.store) throw new CoordinatorError('COORDINATOR_STARTED', 'this coordinator is already started; create another one to run again');
    this.startedMs = this.now();
    const signal = this.lifetime.signal;
    try {
      const store = CoordinatorStore.open(join(this.config.dataDir, 'coordinator.db'));
      this.running.store = store;
      const chain = this.components.chain ?? (await connectGradnet({ rpcUrl: this.config.rpcUrl, account: this.config.privateKey, deploymentsFile: this.config.deployments, signal }));
      this.running.chain = chain;
      const ledgerAddress = chain.ledger.address;
      store.bindDeployment(chain.clients.chainId, ledgerAddress);
      const domain = gradnetDomain(chain.clients.chainId, ledgerAddress);
      this.running.domain = domain;
      await this.checkBudget(chain);

      const spec = resolveModelSpec(this.config.model);
      this.running.spec = spec;
      await initBackend(undefined, { logger: this.logger });
      this.running.validation = this.components.validation ?? (await loadMnist({ signal })).validation;
      const checkpoints = new CheckpointStore(join(this.config.dataDir, 'checkpoints'));
      this.running.checkpoints = checkpoints;
      await this.ensureGenesis(chain, checkpoints, spec);

      const nodes = new NodeView({ store, source: chain.registry, livenessMs: this.config.round.livenessMs });
      this.running.nodes = nodes;
      this.metrics.activeNodes.set(await nodes.sync(this.now(), signal));
      this.running.slasher = new Slasher({
        store,
        reader: chain.registry,
        writer: chain.registryClient,
        amount: this.config.slashAmount,
        backoff: { baseMs: this.config.round.retryBaseMs, maxMs: this.config.round.retryMaxMs },
      });

      await this.waitForOwnPendingTransactions(chain);
      const first = await this.recover(chain, store, checkpoints);

      const node = this.createNode(chain, domain, checkpoints);
      this.running.node = node;
      await node.start({ signal });
      this.running.api = await startApiServer({
        host: this.config.api.host,
        port: this.config.api.port,
        source: createApiSource({ store, nodes, metrics: this.metrics, live: () => this.liveStatus(), now: this.now }),
      });
      this.pollTimer = setInterval(() => this.poll(), this.config.nodes.pollMs);
      // Registry events (registrations, exits, slashes, key rotations) refresh the node view
      // within a second; the poll above is the fallback.
      this.registryBlock = await chain.clients.publicClient.getBlockNumber();
      this.eventTimer = setInterval(() => this.checkRegistryEvents(), REGISTRY_EVENTS_MS);
      this.logger?.info({ apiUrl: this.apiUrl, peerId: node.peerId, multiaddrs: node.multiaddrs(), resume: first.type }, 'coordinator started');
      this.dispatch(first);
      this.drainSlashes();
    } catch (error) {
      await this.shutdown();
      this.rejectDone(error);
      throw error;
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown().then(() => this.resolveDone());
    return this.stopping;
  }

  // ---- start-up and recovery --------------------------------------------------------------

  private async checkBudget(chain: GradnetChain): Promise<void> {
    const max = await chain.ledger.maxRewardBudget();
    if (this.config.rewards.budgetPerRound > max) {
      throw new CoordinatorConfigError(
        `rewards.budgetPerRound ${this.config.rewards.budgetPerRound} wei exceeds the ledger's maxRewardBudget ${max}; lower it`,
        this.config.rewards.budgetPerRound,
      );
    }
  }

  /** Makes sure the genesis checkpoint is on disk, built from the configured model and seed. */
  private async ensureGenesis(chain: GradnetChain, checkpoints: CheckpointStore, spec: ModelSpec): Promise<void> {
    const genesis = await chain.ledger.genesisModelHash();
    if (await checkpoints.has(genesis)) return;
    const initial = initialParams(spec, this.config.modelSeed);
    const checkpoint = createCheckpoint({ layout: initial.layout, params: initial.params, meta: { round: 0, model: spec } });
    if (checkpoint.modelHash.toLowerCase() !== genesis.toLowerCase()) {
      throw new CoordinatorConfigError(
        `the ledger's genesis model is ${genesis}, but model ${JSON.stringify(spec)} with seed ${this.config.modelSeed} hashes to ${checkpoint.modelHash}; set model and modelSeed as they were at deploy`,
        { genesis, computed: checkpoint.modelHash },
      );
    }
    await checkpoints.put(checkpoint);
  }

  /**
   * A transaction of ours sent before a crash may still be pending; deciding what to commit
   * before it lands could send a second, doomed one. Wait (bounded) until it is mined.
   */
  private async waitForOwnPendingTransactions(chain: GradnetChain): Promise<void> {
    const account = chain.clients.account;
    if (!account) throw new CoordinatorConfigError('the coordinator needs a wallet (privateKey) to commit rounds', undefined);
    const until = this.now() + Math.max(30_000, this.config.round.retryMaxMs);
    for (;;) {
      const [pending, latest] = await Promise.all([
        chain.clients.publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' }),
        chain.clients.publicClient.getTransactionCount({ address: account.address, blockTag: 'latest' }),
      ]);
      if (pending <= latest || this.now() >= until) return;
      this.logger?.info({ pending: pending - latest }, 'waiting for transactions sent before the restart to be mined');
      await sleep(250, this.lifetime.signal);
    }
  }

  /**
   * Where to resume, from the chain (the truth for committed rounds) and the database: an
   * aggregated round not known committed is committed (the commit checks the chain first);
   * an open round on the chain's latest model resumes with the updates the database kept;
   * otherwise the next round opens on the chain's latest model.
   */
  private async recover(chain: GradnetChain, store: CoordinatorStore, checkpoints: CheckpointStore): Promise<RoundEvent> {
    const onChain = await chain.ledger.roundCount();
    const latestHash = await chain.ledger.latestModelHash();
    const now = this.now();
    const last = store.latestRound();
    if (last && (last.state === 'aggregated' || last.state === 'committing')) {
      if (last.round !== onChain && last.round !== onChain + 1) {
        throw new ChainStateError(`the database has round ${last.round} ready to commit but the chain has ${onChain} rounds; use a fresh data directory for this chain`, { round: last.round, onChain });
      }
      this.logger?.info({ round: last.round, state: last.state, onChain }, 'resuming the commit of an aggregated round');
      return { type: 'resumeCommit', now, round: last.round, baseHash: last.baseHash, modelHash: last.modelHash as Hex };
    }
    if (last && last.round > onChain + 1) {
      throw new ChainStateError(`the database is at round ${last.round} but the chain has only ${onChain} rounds; the chain was reset, use a fresh data directory`, { round: last.round, onChain });
    }
    if (!(await checkpoints.has(latestHash))) {
      throw new ChainStateError(
        `the chain's latest model ${latestHash} (round ${onChain}) is not in ${checkpoints.dir}; restore this coordinator's data directory`,
        { latestHash, onChain },
      );
    }
    // Rounds the chain holds but the database still calls open or committing were committed
    // before the crash: record that.
    for (const row of store.listRounds({ limit: 10, before: onChain + 1 })) {
      if (row.state !== 'committed' && row.modelHash !== undefined) store.markCommitted(row.round, null, now);
    }
    const round = onChain + 1;
    const open = store.getRound(round);
    if (open && open.state === 'open' && open.baseHash.toLowerCase() === latestHash.toLowerCase()) {
      const accepted = store.acceptedUpdates(round).map((row) => ({ nodeKey: row.nodeKey, digest: row.digest }));
      this.logger?.info({ round, accepted: accepted.length }, 'resuming the open round with the updates the database kept');
      return { type: 'start', now, round, baseHash: latestHash, accepted, openedAt: open.openedMs };
    }
    return { type: 'start', now, round, baseHash: latestHash };
  }

  private createNode(chain: GradnetChain, domain: GradnetDomain, checkpoints: CheckpointStore): GradnetNode {
    const p2pKey = this.config.p2pPrivateKey ?? this.config.privateKey;
    const self = { address: undefined as Hex | undefined };
    const validator = createUpdateValidator({
      domain,
      directory: { isActive: (nodeKey) => this.running.nodes!.isActive(nodeKey, (key) => chain.registry.isActive(key)) },
      context: () => this.validationContext(),
      isCoordinator: (address) => address.toLowerCase() === self.address?.toLowerCase(),
      registry: this.metrics.registry,
    });
    const node = createGradnetNode({
      privateKey: p2pKey,
      listen: this.config.listen,
      bootstrap: this.config.bootstrap,
      chainId: chain.clients.chainId,
      ledger: chain.ledger.address,
      validator,
      blobStore: checkpoints,
    });
    self.address = node.address;
    node.on('update', (event) => this.guarded(() => this.onUpdate(event)));
    node.on('heartbeat', (event) => this.guarded(() => this.onHeartbeat(event)));
    node.on('refused', (event) => this.guarded(() => this.onRefused(event)));
    return node;
  }

  private validationContext(): ValidationContext | undefined {
    if (this.state.phase !== 'collecting' || !this.running.spec) return undefined;
    return {
      round: this.state.round,
      baseModelHash: this.state.baseHash,
      parameterCount: layoutSize(layoutFor(this.running.spec)),
      maxNorm: this.config.maxUpdateNorm,
    };
  }

  // ---- events in --------------------------------------------------------------------------

  /**
   * An update the validator accepted. The state machine is asked first (it is pure), the
   * verdict is persisted, and only then does the new state take effect: an accepted update is
   * on disk before anything acts on it.
   */
  private onUpdate(event: UpdateEvent): void {
    const store = this.running.store!;
    const now = this.now();
    const { update, digest } = event;
    const roundEvent: RoundEvent = { type: 'updateAccepted', now, round: update.round, nodeKey: update.nodeKey, digest };
    const result = step(this.state, roundEvent);
    const ignoredEffect = result.effects.find((effect) => effect.type === 'updateIgnored');
    const equivocation = result.effects.find((effect) => effect.type === 'equivocation');
    const base = {
      round: update.round,
      nodeKey: update.nodeKey,
      digest,
      baseHash: update.baseModelHash,
      samples: update.samples,
      trainLoss: fromFixedPoint(update.trainLoss),
      codec: update.codec,
      signature: update.signature,
      bytes: update.payloadSize,
      receivedMs: now,
      peerId: event.peer,
    };
    this.metrics.bytesReceived.inc(update.payloadSize);
    if (equivocation) {
      const first = store.acceptedUpdateOf(update.round, update.nodeKey);
      if (first) this.recordEquivocation(equivocationEvidence(decodeUpdate(first.message), update, this.running.domain!));
      store.insertUpdate({ ...base, verdict: 'rejected', reason: 'equivocation', message: null });
      this.metrics.updatesRejected.inc({ reason: 'equivocation' });
    } else if (ignoredEffect && ignoredEffect.type === 'updateIgnored') {
      if (ignoredEffect.reason !== 'duplicate') {
        store.insertUpdate({ ...base, verdict: 'rejected', reason: ignoredEffect.reason, message: null });
        this.metrics.updatesRejected.inc({ reason: ignoredEffect.reason });
      }
    } else if (!store.insertUpdate({ ...base, verdict: 'accepted', reason: null, message: encodeUpdate(update, { inline: true }) })) {
      // The database already holds an update of this node for this round that the state machine
      // was not given (the round was re-collected after a failed aggregation): the first stays.
      const first = store.acceptedUpdateOf(update.round, update.nodeKey);
      if (first && first.digest.toLowerCase() !== digest.toLowerCase()) {
        this.recordEquivocation(equivocationEvidence(decodeUpdate(first.message), update, this.running.domain!));
      }
      return;
    } else {
      this.metrics.updatesAccepted.inc();
    }
    this.apply(result);
  }

  private onHeartbeat(heartbeat: Heartbeat & { peer: string }): void {
    const now = this.now();
    this.running.nodes!.heartbeat(heartbeat.nodeKey, heartbeat.round, now);
    this.dispatch({ type: 'heartbeat', now, nodeKey: heartbeat.nodeKey });
  }

  private onRefused(event: RefusedEvent): void {
    if (event.kind !== 'update') return;
    this.metrics.updatesRejected.inc({ reason: event.reason });
    if (event.evidence) this.recordEquivocation(event.evidence);
    if (event.outcome !== 'reject') return;
    this.running.store!.insertUpdate({
      round: this.state.phase === 'idle' ? 0 : this.state.round,
      nodeKey: event.evidence?.nodeKey ?? null,
      digest: null,
      verdict: 'rejected',
      reason: event.reason,
      baseHash: null,
      samples: 0,
      trainLoss: 0,
      codec: null,
      signature: null,
      message: null,
      bytes: 0,
      receivedMs: this.now(),
      peerId: event.peer,
    });
    this.logger?.debug({ reason: event.reason, detail: event.detail, peer: event.peer }, 'update refused');
  }

  private recordEquivocation(evidence: EquivocationEvidence): void {
    const first = decodeUpdate(evidence.first);
    const second = decodeUpdate(evidence.second);
    const domain = this.running.domain!;
    const added = this.running.store!.recordEquivocation({
      evidenceHash: evidence.evidenceHash,
      nodeKey: evidence.nodeKey,
      round: evidence.round,
      firstDigest: updateDigest(first, domain),
      secondDigest: updateDigest(second, domain),
      first: evidence.first,
      second: evidence.second,
      detectedMs: this.now(),
    });
    if (!added) return;
    this.logger?.warn({ nodeKey: evidence.nodeKey, round: evidence.round, evidenceHash: evidence.evidenceHash }, 'equivocation: slashing the node');
    this.drainSlashes();
  }

  private poll(): void {
    const nodes = this.running.nodes;
    if (!nodes) return;
    this.track(
      nodes
        .sync(this.now(), this.lifetime.signal)
        .then((active) => this.metrics.activeNodes.set(active))
        .catch((error: unknown) => {
          if (error instanceof StoreError) throw error;
          this.logger?.warn({ error: errorMessage(error) }, 'registry poll failed; keeping the last node list');
        }),
    );
    // Peers that joined after the round opened learn about it from the re-announcement.
    const state = this.state;
    const deadline = this.deadline;
    if (state.phase === 'collecting' && deadline !== null) {
      this.publish(() => this.running.node!.publishRoundOpen({ round: state.round, baseModelHash: state.baseHash, deadline }));
    }
  }

  /** Reads NodeRegistry events since the last check; any event re-reads the registry at once. */
  private checkRegistryEvents(): void {
    const chain = this.running.chain;
    const from = this.registryBlock;
    if (!chain || from === null) return;
    this.registryBlock = null;
    this.track(
      (async () => {
        let last = from;
        try {
          const head = await chain.clients.publicClient.getBlockNumber();
          if (head > from) {
            const logs = await chain.clients.publicClient.getContractEvents({ address: chain.registry.address, abi: nodeRegistryAbi, fromBlock: from + 1n, toBlock: head });
            last = head;
            if (logs.length > 0) {
              chain.registry.invalidate();
              this.poll();
            }
          }
        } catch (error) {
          this.logger?.debug({ error: errorMessage(error) }, 'reading registry events failed; the poll continues');
        } finally {
          this.registryBlock = last;
        }
      })(),
    );
  }

  // ---- the state machine and its effects --------------------------------------------------

  private dispatch(event: RoundEvent): void {
    if (this.stopping) return;
    this.apply(step(this.state, event));
  }

  private apply(result: { state: RoundState; effects: RoundEffect[] }): void {
    if (this.stopping) return;
    this.state = result.state;
    for (const effect of result.effects) this.perform(effect);
    this.scheduleWake();
  }

  private perform(effect: RoundEffect): void {
    switch (effect.type) {
      case 'openRound':
        return this.openRound(effect);
      case 'aggregate':
        return this.aggregate(effect);
      case 'commit':
        return this.commit(effect);
      case 'commitRetryScheduled':
        this.metrics.commitErrors.inc();
        this.logger?.warn({ round: effect.round, attempt: effect.attempt, retryAt: new Date(effect.at).toISOString(), error: effect.error }, 'commit failed; retrying');
        return;
      case 'announceModel':
        return this.announceModel(effect);
      case 'halt':
        return this.fail(new ChainStateError(effect.reason, { round: effect.round }));
      case 'eventIgnored':
        this.logger?.debug({ event: effect.event, phase: effect.phase, reason: effect.reason }, 'event ignored');
        return;
      case 'updateIgnored':
      case 'equivocation':
        // Recorded by onUpdate, which sees the update itself.
        return;
    }
  }

  private openRound(effect: Extract<RoundEffect, { type: 'openRound' }>): void {
    this.running.store!.openRound(effect.round, effect.baseHash, effect.openedAt);
    this.deadline = effect.deadline;
    this.metrics.currentRound.set(effect.round);
    this.logger?.info({ round: effect.round, baseHash: effect.baseHash, deadline: new Date(effect.deadline).toISOString(), reopened: effect.reopened }, 'round open');
    this.publish(() => this.running.node!.publishRoundOpen({ round: effect.round, baseModelHash: effect.baseHash, deadline: effect.deadline }));
    this.emit('roundOpened', { round: effect.round, baseHash: effect.baseHash, deadline: effect.deadline, reopened: effect.reopened });
  }

  private aggregate(effect: Extract<RoundEffect, { type: 'aggregate' }>): void {
    const running = this.running as Running;
    this.logger?.info({ round: effect.round, updates: effect.updates.length, reason: effect.reason }, 'round closed; aggregating');
    const work = produceRound({
      round: effect.round,
      baseHash: effect.baseHash,
      digests: effect.updates.map((update) => update.digest),
      store: running.store,
      checkpoints: running.checkpoints,
      settings: {
        spec: running.spec,
        aggregation: this.config.aggregation,
        validation: running.validation,
        validationLimit: this.config.evaluation.validationLimit,
        scoreBatch: this.config.evaluation.scoreBatch,
        budgetPerRound: this.config.rewards.budgetPerRound,
        capPerNode: this.config.rewards.capPerNode,
      },
      ownerOf: async (nodeKey) => running.nodes.ownerOf(nodeKey) ?? (await running.chain.registry.ownerOf(nodeKey)) ?? null,
      now: this.now,
      signal: this.lifetime.signal,
    }).then(
      (produced) => {
        this.metrics.loss.set(produced.result.loss);
        this.metrics.accuracy.set(produced.result.accuracy);
        this.logger?.info(
          { round: effect.round, modelHash: produced.result.modelHash, loss: produced.result.loss, accuracy: produced.result.accuracy, rewardBudget: produced.result.rewardBudget.toString() },
          'round aggregated; checkpoint written',
        );
        this.emit('roundAggregated', { round: effect.round, modelHash: produced.result.modelHash, loss: produced.result.loss, accuracy: produced.result.accuracy, contributors: produced.result.contributors });
        this.dispatch({ type: 'aggregated', now: this.now(), round: effect.round, modelHash: produced.result.modelHash });
      },
      (error: unknown) => {
        if (this.stopping) return;
        if (error instanceof CoordinatorError) return this.fail(error);
        this.logger?.error({ round: effect.round, error: errorMessage(error) }, 'aggregation failed; collecting the round again');
        this.running.store!.rejectAcceptedUpdates(effect.round, 'aggregation_failed');
        this.dispatch({ type: 'aggregationFailed', now: this.now(), round: effect.round, reason: errorMessage(error) });
      },
    );
    this.track(work);
  }

  private commit(effect: Extract<RoundEffect, { type: 'commit' }>): void {
    const running = this.running as Running;
    // A retried commit may follow a transaction that timed out but is still pending: let it land first.
    const settled = effect.attempt > 1 ? this.waitForOwnPendingTransactions(running.chain) : Promise.resolve();
    const work = settled.then(() => commitAttempt({ ledger: running.chain.ledger, store: running.store, round: effect.round, now: this.now, signal: this.lifetime.signal })).then(
      (outcome) => {
        this.logger?.info({ round: effect.round, modelHash: effect.modelHash, txHash: outcome.txHash, alreadyOnChain: outcome.kind === 'already-on-chain' }, 'round committed');
        this.dispatch({ type: 'commitConfirmed', now: this.now(), round: effect.round, modelHash: effect.modelHash, txHash: outcome.txHash });
      },
      (error: unknown) => {
        if (this.stopping) return;
        const retryable = isRetryableCommitError(error);
        if (!retryable && error instanceof CoordinatorError) return this.fail(error);
        this.dispatch({ type: 'commitFailed', now: this.now(), round: effect.round, attempt: effect.attempt, error: errorMessage(error), retryable });
      },
    );
    this.track(work);
  }

  private announceModel(effect: Extract<RoundEffect, { type: 'announceModel' }>): void {
    const store = this.running.store!;
    const row = store.getRound(effect.round);
    const contributors = store.acceptedUpdates(effect.round).map((update) => update.nodeKey);
    store.recordRoundAttendance(effect.round, contributors);
    if (row) this.metrics.roundDuration.observe((this.now() - row.openedMs) / 1000);
    this.metrics.committedRounds.inc();
    const checkpoint = store.getCheckpoint(effect.modelHash);
    const nextDeadline = this.now() + this.config.round.deadlineMs;
    this.publish(() =>
      this.running.node!.publishModelAnnounce({
        round: effect.round,
        modelHash: effect.modelHash,
        parentHash: effect.baseHash,
        checkpointSize: checkpoint?.bytes ?? 0,
        deadline: nextDeadline,
      }),
    );
    this.emit('roundCommitted', { round: effect.round, modelHash: effect.modelHash, txHash: effect.txHash ?? store.getRound(effect.round)?.txHash ?? null });
    this.committedHere += 1;
    if (this.config.maxRounds !== undefined && this.committedHere >= this.config.maxRounds) {
      this.logger?.info({ rounds: this.committedHere }, 'maxRounds committed; stopping');
      queueMicrotask(() => void this.stop());
    }
  }

  private scheduleWake(): void {
    clearTimeout(this.wakeTimer);
    const at = nextWakeAt(this.state);
    if (at === null || this.stopping) return;
    const delay = Math.min(Math.max(0, at - this.now()) + 5, 60_000);
    this.wakeTimer = setTimeout(() => this.guarded(() => this.dispatch({ type: 'tick', now: this.now() })), delay);
  }

  private drainSlashes(): void {
    const slasher = this.running.slasher;
    if (!slasher || this.stopping) return;
    this.track(
      slasher.drain(this.lifetime.signal).then(
        (outcomes) => {
          for (const outcome of outcomes) {
            this.metrics.slashes.inc({ outcome: outcome.status });
            this.logger?.info(outcome, outcome.status === 'slashed' ? 'node slashed' : 'slash failed');
            this.emit('slashed', { nodeKey: outcome.nodeKey, evidenceHash: outcome.evidenceHash, txHash: outcome.txHash, error: outcome.error });
          }
          if (outcomes.some((outcome) => outcome.status === 'slashed')) {
            // A slashed node may have dropped below the minimum stake: re-read the registry now.
            this.running.chain?.registry.invalidate();
            this.poll();
          }
        },
      ),
    );
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private publish(send: () => Promise<unknown>): void {
    if (!this.running.node?.running) return;
    this.track(send().catch((error: unknown) => this.logger?.warn({ error: errorMessage(error) }, 'gossip publish failed')));
  }

  /** Keeps an effect's promise until it settles (stop waits for it); an error it throws is fatal. */
  private track(work: Promise<unknown>): void {
    const settled = work.catch((error: unknown) => this.fail(error));
    this.tasks.add(settled);
    void settled.finally(() => this.tasks.delete(settled));
  }

  /** Runs an event handler; an error in it (a database failure) stops the coordinator cleanly. */
  private guarded(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.stopping) return;
    const reason = errorMessage(error);
    this.halted = reason;
    this.logger?.error({ error: reason }, 'coordinator stopping on an error');
    this.emit('halted', { reason });
    this.stopping = this.shutdown().then(() => this.rejectDone(error));
  }

  private async shutdown(): Promise<void> {
    this.lifetime.abort(new CoordinatorError('COORDINATOR_STOPPED', 'the coordinator is stopping'));
    clearTimeout(this.wakeTimer);
    clearInterval(this.pollTimer);
    clearInterval(this.eventTimer);
    const { api, node, store } = this.running;
    await api?.close().catch(() => undefined);
    await node?.stop().catch(() => undefined);
    await Promise.allSettled([...this.tasks]);
    store?.close();
  }

  private liveStatus(): LiveStatus {
    const state = this.state;
    const chain = this.running.chain;
    return {
      chainId: chain?.clients.chainId ?? 0,
      ledger: (chain?.ledger.address ?? '0x') as Hex,
      coordinator: (chain?.clients.account?.address ?? '0x') as Hex,
      peerId: this.peerId ?? null,
      multiaddrs: this.multiaddrs(),
      phase: state.phase,
      round: state.phase === 'idle' ? null : state.round,
      baseHash: state.phase === 'idle' || state.phase === 'halted' ? null : state.baseHash,
      deadline: state.phase === 'collecting' ? this.deadline : null,
      accepted: state.phase === 'collecting' || state.phase === 'aggregating' ? state.updates.length : 0,
      quorum: this.config.round.quorum,
      halted: this.halted,
      startedMs: this.startedMs,
    };
  }
}
