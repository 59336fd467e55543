import type { Hex } from 'viem';
import { errorMessage } from '../core/errors.ts';
import {
  initialPeerState,
  nextWakeAt,
  step,
  type AuditJudgement,
  type GossipEvent,
  type PeerConfig,
  type PeerEffect,
  type PeerEvent,
  type PeerPorts,
  type PeerState,
  type PeerWorkKind,
  type SignedCommitmentBytes,
  type SignedUpdateBytes,
  type TrainedUpdate,
} from '../core/peer/index.ts';
import { PhaseClock, type PeerPhase, type PhaseSnapshot } from './phase-clock.ts';

const VERSION = '0.1.0';
/** Longest sleep between two looks at the state (nothing is due while no round is known). */
const MAX_IDLE_MS = 60_000;
/** The phase each step of the round counts as (the trainer marks the fetching and encoding inside `train`). */
const PHASE_OF_WORK: Record<PeerWorkKind, PeerPhase> = {
  readChain: 'chainReads',
  audit: 'auditing',
  fetchModel: 'fetching',
  train: 'training',
  sign: 'signing',
  publishCommitment: 'gossip',
  publish: 'gossip',
};

export interface PeerDaemonOptions<Trained extends TrainedUpdate> extends PeerPorts<Trained> {
  config: PeerConfig;
  /** Where the daemon accounts its wall time by phase; share it with the trainer. Default: a clock of its own. */
  phases?: PhaseClock;
}

/**
 * The gradnet peer: runs the core/peer state machine over its ports. It follows the ledger and
 * the gossip, trains each round on its shard from the committed model, gossips its signed update,
 * sends heartbeats and audits every committed round. Chain and network failures are logged and
 * retried with backoff; only `stop()` ends it.
 */
export class PeerDaemon<Trained extends TrainedUpdate = TrainedUpdate> {
  readonly nodeKey: Hex;
  readonly #ports: PeerPorts<Trained>;
  #state: PeerState;
  readonly #lifetime = new AbortController();
  #wake = new AbortController();
  #loop: Promise<void> | undefined;
  readonly #inFlight = new Set<Promise<void>>();
  /** The trained update the machine has not decided on yet. */
  #trained: Trained | undefined;
  /** The signed update of `state.signed`, in the exact bytes that are (re-)sent. */
  #signed: SignedUpdateBytes | undefined;
  /** The commitment to `#signed`, gossiped before it, in the exact bytes that are (re-)sent. */
  #commitment: SignedCommitmentBytes | undefined;
  /** Error feedback carried into the next round's training. */
  #residual: Float32Array | undefined;
  #window = '';
  readonly #phases: PhaseClock;
  /** The ledger's round count at the last `phases` line: one line each time it grows. */
  #phasesLoggedAt = -1;

  constructor(options: PeerDaemonOptions<Trained>) {
    const { config, phases, ...ports } = options;
    this.#ports = ports;
    this.nodeKey = config.nodeKey;
    this.#state = initialPeerState(config);
    this.#phases = phases ?? new PhaseClock(() => ports.clock.now());
  }

  /** Wall time by phase since the daemon was built (training, waiting, fetching, …). */
  phases(): PhaseSnapshot {
    return this.#phases.snapshot();
  }

  /** The state machine's current state (read-only; for status and tests). */
  get state(): PeerState {
    return this.#state;
  }

  /**
   * Claims the peer store (refusing when another daemon holds it), joins the network and starts
   * following rounds; `signal` aborts the start-up.
   */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    const { gossip, chain, store, auditor, clock, logger } = this.#ports;
    const signal = AbortSignal.any([this.#lifetime.signal, ...(options.signal ? [options.signal] : [])]);
    const restored = await store.open({ signal });
    let roundCount: number;
    let finalRound: number;
    try {
      await gossip.start({ signal });
      // Rounds final before this node started are history; those still challengeable are audited.
      roundCount = await chain.roundCount({ signal });
      finalRound = await chain.latestFinalRound({ signal, roundCount });
    } catch (error) {
      await gossip.stop();
      await store.close();
      throw error;
    }
    logger.info({ nodeKey: this.nodeKey, peerId: gossip.peerId, multiaddrs: gossip.multiaddrs(), rounds: roundCount }, `daemon started as node ${this.nodeKey}`);
    if (restored !== undefined) {
      const { update } = restored;
      this.#signed = update;
      this.#residual = restored.residual;
      auditor.observeOwn(update);
      logger.info({ round: update.round, digest: update.digest }, `signed update ${update.digest.slice(0, 10)} for round ${update.round} before a restart: it is re-sent while the round is open, never re-signed`);
    }
    const resumed = restored && { round: restored.update.round, baseModelHash: restored.update.baseModelHash, digest: restored.update.digest };
    this.#dispatch({ type: 'start', now: clock.now(), roundCount, finalRound, restored: resumed });
    gossip.subscribe((event) => this.#onGossip(event));
    this.#loop = this.#run();
  }

  /** Stops following rounds, leaves the network and resolves once everything has ended. */
  async stop(): Promise<void> {
    if (this.#lifetime.signal.aborted) return;
    this.#lifetime.abort(new Error('daemon stopping'));
    this.#wake.abort();
    await this.#loop;
    await Promise.allSettled(this.#inFlight);
    await this.#ports.gossip.stop();
    await this.#ports.store.close();
    this.#ports.logger.info({ nodeKey: this.nodeKey }, 'daemon stopped');
  }

  /** Wakes at the state's next due time (or at once when an event changed it) and ticks. */
  async #run(): Promise<void> {
    const { clock } = this.#ports;
    const stopped = this.#lifetime.signal;
    while (!stopped.aborted) {
      this.#wake = new AbortController();
      const waitMs = Math.min(MAX_IDLE_MS, Math.max(0, nextWakeAt(this.#state) - clock.now()));
      await clock.sleep(waitMs, AbortSignal.any([stopped, this.#wake.signal])).catch(() => undefined);
      if (!stopped.aborted) this.#dispatch({ type: 'tick', now: clock.now() });
    }
  }

  #dispatch(event: PeerEvent): void {
    if (this.#lifetime.signal.aborted) return;
    const { state, effects } = step(this.#state, event);
    this.#state = state;
    this.#followWindow();
    for (const effect of effects) this.#perform(effect);
    this.#wake.abort();
  }

  /** Tells gossip which round's updates to accept: the open round, once its base model is held. */
  #followWindow(): void {
    const { open, base } = this.#state;
    if (open === null || base === null || base.modelHash !== open.baseModelHash) return;
    const key = `${open.round}/${base.modelHash}`;
    if (key === this.#window) return;
    this.#window = key;
    this.#ports.gossip.acceptUpdatesFor({ round: open.round, baseModelHash: open.baseModelHash, parameterCount: base.parameterCount });
  }

  #onGossip(event: GossipEvent): void {
    const { logger, auditor, clock } = this.#ports;
    const now = clock.now();
    switch (event.type) {
      case 'update': {
        const { update } = event;
        auditor.observe(update);
        logger.debug({ round: update.round, from: update.nodeKey, digest: update.digest }, `accepted the update of ${update.nodeKey} for round ${update.round}`);
        if (update.nodeKey.toLowerCase() === this.nodeKey.toLowerCase()) this.#dispatch({ type: 'ownKeyHeard', now, round: update.round, digest: update.digest });
        return;
      }
      case 'equivocation':
        if (event.nodeKey.toLowerCase() !== this.nodeKey.toLowerCase()) return;
        for (const digest of event.digests) this.#dispatch({ type: 'ownKeyHeard', now, round: event.round, digest });
        return;
      case 'roundOpen':
        logger.debug({ round: event.round, baseModelHash: event.baseModelHash, reveal: event.reveal }, event.reveal ? `round ${event.round} reveals` : `round ${event.round} takes commitments`);
        this.#dispatch({ type: 'roundOpenHeard', now, round: event.round, baseModelHash: event.baseModelHash, reveal: event.reveal, peer: event.peer });
        return;
      case 'modelAnnounce':
        logger.debug({ round: event.round, modelHash: event.modelHash }, `model of round ${event.round} announced`);
        this.#dispatch({ type: 'modelAnnounced', now, round: event.round, peer: event.peer });
        return;
    }
  }

  /** Runs one step of the round in the background; its result or failure comes back as an event. */
  #work(kind: PeerWorkKind, run: (signal: AbortSignal) => Promise<PeerEvent>): void {
    const signal = this.#lifetime.signal;
    // The phase closes before the result is dispatched: the next step, started by it, is timed on its own.
    const task = this.#phases.during(PHASE_OF_WORK[kind], () => run(signal)).then(
      (event) => this.#dispatch(event),
      (error: unknown) => this.#dispatch({ type: 'workFailed', now: this.#ports.clock.now(), work: kind, error: errorMessage(error) }),
    );
    const tracked = task.finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  /**
   * Feeds the judgement an audit reaches through its background retries to the machine (only a
   * wrong one changes anything). Not awaited by `stop`: the retries end with the daemon's lifetime,
   * and a judgement arriving after it is dropped by `#dispatch`.
   */
  #awaitLateJudgement(round: number, later: Promise<AuditJudgement>): void {
    later.then(
      (judgement) => {
        if (judgement.wrong) this.#dispatch({ type: 'judgedWrongLate', now: this.#ports.clock.now(), round, modelHash: judgement.modelHash });
      },
      (error: unknown) => this.#ports.logger.warn({ event: 'audit', round, err: errorMessage(error) }, `the background audit of round ${round} failed: ${errorMessage(error)}`),
    );
  }

  /**
   * One structured line each time the ledger's round count grows, with the wall time by phase so
   * far: a bench or an operator takes the difference of two lines for the share spent training.
   */
  #logPhasesOnNewRound(roundCount: number): void {
    if (roundCount <= this.#phasesLoggedAt) return;
    this.#phasesLoggedAt = roundCount;
    const { wallMs, phasesMs } = this.#phases.snapshot();
    const trainingShare = wallMs > 0 ? phasesMs.training / wallMs : 0;
    this.#ports.logger.info({ event: 'phases', roundCount, wallMs, phasesMs }, `${roundCount} rounds committed; ${(trainingShare * 100).toFixed(1)}% of the ${(wallMs / 1000).toFixed(1)} s since start spent training`);
  }

  #perform(effect: PeerEffect): void {
    const { chain, gossip, models, trainer, signer, auditor, store, clock, logger } = this.#ports;
    switch (effect.type) {
      case 'readChain':
        return this.#work('readChain', async (signal) => {
          // Count and head together (a commit between them would pair a count with the next round's model); finality from that count.
          const [roundCount, latestModelHash] = await Promise.all([chain.roundCount({ signal }), chain.latestModelHash({ signal })]);
          const finalRound = await chain.latestFinalRound({ signal, roundCount });
          this.#logPhasesOnNewRound(roundCount);
          return { type: 'chainRead', now: clock.now(), roundCount, latestModelHash, finalRound, updateSubscribers: gossip.updateSubscribers() };
        });
      case 'roundOpened':
        logger.info({ round: effect.round, baseModelHash: effect.baseModelHash }, `round ${effect.round} is open on model ${effect.baseModelHash.slice(0, 10)}`);
        return;
      case 'audit':
        return this.#work('audit', async (signal) => {
          const judgement = await auditor.audit(effect.round, { signal });
          if (judgement.later !== undefined) this.#awaitLateJudgement(effect.round, judgement.later);
          return { type: 'audited', now: clock.now(), round: effect.round, ...(judgement.wrong ? { wrongModel: judgement.modelHash } : {}) };
        });
      case 'fetchModel':
        return this.#work('fetchModel', async (signal) => {
          const { modelHash, parameterCount } = await models.ensure(effect.modelHash, { signal });
          return { type: 'modelLoaded', now: clock.now(), modelHash, parameterCount };
        });
      case 'train':
        logger.info({ round: effect.round, baseModelHash: effect.baseModelHash }, `training round ${effect.round}`);
        return this.#work('train', async (signal) => {
          this.#trained = await trainer.train({ round: effect.round, baseModelHash: effect.baseModelHash, residual: this.#residual }, { signal });
          return { type: 'trained', now: clock.now(), round: effect.round, baseModelHash: effect.baseModelHash };
        });
      case 'dropUpdate':
        this.#trained = undefined;
        logger.warn({ round: effect.round }, `${effect.reason}; its update is dropped`);
        return;
      case 'sign':
        return this.#work('sign', async (signal) => {
          const trained = this.#trained;
          if (trained === undefined || trained.round !== effect.round) throw new Error(`no trained update of round ${effect.round} is held`);
          const signed = await signer.sign(trained, { signal });
          await store.save({ update: signed, residual: trained.residual }, { signal });
          this.#signed = signed;
          this.#commitment = undefined;
          this.#residual = trained.residual;
          this.#trained = undefined;
          auditor.observeOwn(signed);
          return { type: 'signed', now: clock.now(), round: signed.round, baseModelHash: signed.baseModelHash, digest: signed.digest };
        });
      case 'publishCommitment':
        return this.#work('publishCommitment', async (signal) => {
          const signed = this.#signed;
          if (signed === undefined || signed.digest !== effect.digest) throw new Error(`the signed update ${effect.digest} is not held`);
          if (this.#commitment?.digest !== signed.digest) this.#commitment = await signer.commit(signed, { signal });
          const sent = await gossip.publishCommitment(this.#commitment, { signal });
          logger.info({ round: effect.round, digest: effect.digest, recipients: sent.recipients, resend: effect.resend }, `${effect.resend ? 're-sent' : 'gossiped'} the commitment to its update for round ${effect.round}; the update waits for the reveal`);
          return { type: 'commitmentPublished', now: clock.now(), round: effect.round, digest: effect.digest, updateSubscribers: gossip.updateSubscribers() };
        });
      case 'publish':
        return this.#work('publish', async (signal) => {
          const signed = this.#signed;
          if (signed === undefined || signed.digest !== effect.digest) throw new Error(`the signed update ${effect.digest} is not held`);
          const sent = await gossip.publishUpdate(signed, { signal });
          const updateSubscribers = gossip.updateSubscribers();
          if (effect.resend) {
            const coordinator = this.#state.coordinatorPeer;
            logger.info({ round: effect.round, digest: effect.digest, heard: coordinator !== null && updateSubscribers.includes(coordinator) }, `re-sent update for round ${effect.round}`);
          } else {
            logger.info({ round: effect.round, digest: effect.digest, recipients: sent.recipients, inline: sent.inline, bytes: signed.bytes.byteLength }, `gossiped update for round ${effect.round} to ${sent.recipients} peers`);
          }
          return { type: 'published', now: clock.now(), round: effect.round, digest: effect.digest, updateSubscribers };
        });
      case 'heartbeat':
        gossip
          .publishHeartbeat({ nodeKey: this.nodeKey, round: effect.round, modelHash: effect.modelHash, version: VERSION, timestamp: effect.timestamp })
          .catch((error: unknown) => logger.debug({ err: errorMessage(error) }, 'heartbeat not sent'));
        return;
      case 'retryScheduled':
        logger.warn({ err: effect.error, work: effect.work, failures: effect.failures, retryInMs: effect.delayMs }, `round step failed (${effect.error}); retrying in ${effect.delayMs} ms`);
        return;
      case 'recovered':
        logger.info({ after: effect.failures }, 'chain and network reachable again');
        return;
      case 'stopPublishing':
        logger.error({ round: effect.round, digest: effect.digest }, `stopped publishing: ${effect.reason}`);
        return;
      case 'withholding':
        logger.warn({ event: 'withholding', round: effect.round, modelHash: effect.modelHash }, `this node judged the model of round ${effect.round} wrong: it trains and signs nothing on it until the round is voided or final`);
        return;
      case 'resuming':
        logger.info({ event: 'resuming', round: effect.round, because: effect.because }, `round ${effect.round}, judged wrong, is ${effect.because}: training resumes on the ledger's model`);
        return;
      case 'eventIgnored':
        logger.debug({ event: effect.event }, `ignored ${effect.event}: ${effect.reason}`);
        return;
    }
  }
}
