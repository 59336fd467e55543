import { EventEmitter } from 'node:events';
import { type StructuredLogger, silentLogger } from '../core/log/index.ts';
import { initialRoundState, type RoundState, type Startable } from '../core/round/index.ts';
import { systemClock, type Clock } from '../core/time/index.ts';
import { createApiSource, type LiveStatus } from './api.ts';
import { assembleCoordinator, type Assembled, type CoordinatorComponents } from './assemble.ts';
import { parseCoordinatorConfig, type CoordinatorConfig, type CoordinatorConfigInput } from './config.ts';
import { deferred } from './deferred.ts';
import { CoordinatorError } from './errors.ts';
import { startApiServer, type ApiServer } from './http.ts';
import { createCoordinatorMetrics, type CoordinatorMetrics } from './metrics.ts';
import { recover, waitForOwnPendingTransactions } from './recovery.ts';
import type { CoordinatorEvents } from './ports.ts';
import { RoundRunner } from './runner.ts';
import type { CoordinatorStore } from './store.ts';

export type { CoordinatorComponents } from './assemble.ts';
export type { CoordinatorEvents } from './ports.ts';

export interface Coordinator extends EventEmitter<CoordinatorEvents>, Startable {
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

/** Creates a coordinator from a config (validated with zod) and optional components; call `start()`. */
export function createCoordinator(config: CoordinatorConfigInput | CoordinatorConfig, components: CoordinatorComponents = {}): Coordinator {
  return new GradnetCoordinator(parseCoordinatorConfig(config), components);
}

/**
 * The coordinator's lifetime: start-up (assembleCoordinator), recovery, then a RoundRunner over
 * what start-up opened, with the libp2p node and the HTTP API around it; stop undoes it all in
 * reverse. What exists only after a step of start-up succeeded is optional here, and only here.
 */
class GradnetCoordinator extends EventEmitter<CoordinatorEvents> implements Coordinator {
  readonly config: CoordinatorConfig;
  readonly done: Promise<void>;
  private readonly components: CoordinatorComponents;
  private readonly clock: Clock;
  private readonly logger: StructuredLogger;
  private readonly metrics: CoordinatorMetrics;
  private readonly lifetime = new AbortController();
  private readonly finished = deferred();
  private readonly idle: RoundState;
  private startedMs: number | null = null;
  private parts: Assembled | undefined;
  private runner: RoundRunner | undefined;
  private api: ApiServer | undefined;
  private stopping: Promise<void> | undefined;

  constructor(config: CoordinatorConfig, components: CoordinatorComponents) {
    super();
    this.config = config;
    this.components = components;
    this.clock = components.clock ?? systemClock;
    this.logger = components.logger ?? silentLogger;
    this.metrics = createCoordinatorMetrics(components.metricsRegistry);
    this.idle = initialRoundState(config.round);
    this.done = this.finished.promise;
  }

  get apiUrl(): string | undefined {
    return this.api?.url;
  }

  get peerId(): string | undefined {
    return this.parts?.node.running ? this.parts.node.peerId : undefined;
  }

  get store(): CoordinatorStore | undefined {
    return this.parts?.store;
  }

  multiaddrs(): string[] {
    return this.parts?.node.running ? this.parts.node.multiaddrs() : [];
  }

  roundState(): RoundState {
    return this.runner?.roundState() ?? this.idle;
  }

  async start(): Promise<void> {
    if (this.startedMs !== null) throw new CoordinatorError('COORDINATOR_STARTED', 'this coordinator is already started; create another one to run again');
    const { config, clock, logger, metrics } = this;
    const signal = this.lifetime.signal;
    this.startedMs = clock.now();
    try {
      const parts = await assembleCoordinator(config, this.components, { clock, metrics, signal });
      this.parts = parts;
      await waitForOwnPendingTransactions({ ledger: parts.chain, clock, logger, retryMaxMs: config.round.retryMaxMs, signal });
      const first = await recover({ ledger: parts.chain, journal: parts.store, checkpoints: parts.checkpoints, clock, logger });

      const runner = new RoundRunner({ ...parts, config, clock, logger, metrics, events: this, signal });
      this.runner = runner;
      parts.node.on('commitment', (event) => runner.onCommitment(event));
      parts.node.on('update', (event) => runner.onUpdate(event));
      parts.node.on('heartbeat', (event) => runner.onHeartbeat(event));
      parts.node.on('refused', (event) => runner.onRefused(event));
      parts.node.on('verdict', (verdict) => runner.onVerdict(verdict));
      await parts.node.start({ signal });
      this.api = await startApiServer({
        host: config.api.host,
        port: config.api.port,
        explorer: { rpcUrl: config.rpcUrl, deploymentsFile: config.deployments },
        source: createApiSource({ store: parts.store, nodes: parts.nodes, metrics, chain: parts.chain, live: () => this.liveStatus(parts, runner), now: () => clock.now() }),
      });
      logger.info({ apiUrl: this.apiUrl, peerId: parts.node.peerId, multiaddrs: parts.node.multiaddrs(), resume: first.type }, 'coordinator started');
      await runner.start(first);
      runner.ended.then(
        () => void this.stop(),
        (error: unknown) => this.fail(error),
      );
    } catch (error) {
      await this.shutdown();
      this.finished.reject(error);
      throw error;
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown().then(() => this.finished.resolve());
    return this.stopping;
  }

  /** The runner halted on an error (it logged it and emitted `halted`): stop, then reject `done`. */
  private fail(error: unknown): void {
    this.stopping ??= this.shutdown().then(() => this.finished.reject(error));
  }

  private async shutdown(): Promise<void> {
    this.lifetime.abort(new CoordinatorError('COORDINATOR_STOPPED', 'the coordinator is stopping'));
    const effectsSettled = this.runner?.stop();
    await this.api?.close().catch(() => undefined);
    await this.parts?.node.stop().catch(() => undefined);
    await effectsSettled;
    this.parts?.store.close();
  }

  private liveStatus(parts: Assembled, runner: RoundRunner): LiveStatus {
    return {
      ...parts.identity,
      peerId: this.peerId ?? null,
      multiaddrs: this.multiaddrs(),
      ...runner.status(),
      startedMs: this.startedMs ?? 0,
    };
  }
}
