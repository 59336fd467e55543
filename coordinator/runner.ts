import { errorMessage } from '../core/errors.ts';
import type { CommitmentEvent, RefusedEvent, UpdateEvent } from '../core/p2p/index.ts';
import type { Heartbeat, SignedVerdict } from '../core/protocol/index.ts';
import { initialRoundState, nextWakeAt, quorumNeeded, step, type CollectingState, type RoundEffect, type RoundEvent, type RoundState, type StepResult } from '../core/round/index.ts';
import type { RoundStatus } from './api.ts';
import { deferred } from './deferred.ts';
import { ChainStateError } from './errors.ts';
import { countBusy } from './metrics.ts';
import { takeCommitment, takeHeartbeat, takeRefusal, takeUpdate, takeVerdict, type Intake, type IntakePorts } from './intake.ts';
import type { RunnerPorts } from './ports.ts';
import { RefusalLog } from './refusals.ts';
import { RegistryWatch } from './registry-watch.ts';
import { aggregateRound, commitRound } from './round-effects.ts';
import { VoidFollower } from './voids.ts';

/** When the collecting round's stage ends at the latest, given quorum (as its openRound or openReveal effect announced). */
function deadlineOf(state: CollectingState): number {
  return state.revealedAt === null ? state.openedAt + state.config.deadlineMs : state.revealedAt + state.config.revealMs;
}

/**
 * Runs core/round's state machine: feeds it events (gossip taken in, timer ticks, effect
 * outcomes) and carries out its effects on the ports. `ended` resolves after `maxRounds`
 * commits and rejects with the first fatal error (a store failure, a chain that contradicts
 * the database); the runner does nothing more after either.
 */
export class RoundRunner {
  readonly ended: Promise<void>;
  private readonly ports: RunnerPorts;
  private readonly intake: IntakePorts;
  private readonly registry: RegistryWatch;
  private readonly refusals: RefusalLog;
  private readonly voids: VoidFollower;
  private readonly tasks = new Set<Promise<unknown>>();
  private state: RoundState;
  private wakeTimer: NodeJS.Timeout | undefined;
  private committedHere = 0;
  private halted: string | null = null;
  private stopped = false;
  private readonly endWith = deferred();

  constructor(ports: RunnerPorts) {
    this.ports = ports;
    this.state = initialRoundState(ports.config.round);
    this.refusals = new RefusalLog(ports.store, {
      maxPeersPerRound: ports.config.refusals.maxPeersPerRound,
      schedule: (flush, delayMs) => setTimeout(() => this.guarded(flush), delayMs).unref(),
    });
    this.intake = { store: ports.store, nodes: ports.nodes, refusals: this.refusals, metrics: ports.metrics, domain: ports.model.domain, logger: ports.logger };
    this.registry = new RegistryWatch({
      nodes: ports.nodes,
      source: ports.chain,
      metrics: ports.metrics,
      logger: ports.logger,
      clock: ports.clock,
      signal: ports.signal,
      pollMs: ports.config.nodes.pollMs,
      track: (work) => this.track(work),
      everyPoll: () => this.reannounce(),
      synced: () => this.reportActiveSet(),
    });
    this.voids = new VoidFollower({
      chain: ports.chain,
      store: ports.store,
      checkpoints: ports.checkpoints,
      clock: ports.clock,
      logger: ports.logger,
      pollMs: ports.config.nodes.pollMs,
      state: () => this.state,
      rebase: (first) => this.rebase(first),
      track: (work) => this.track(work),
    });
    this.ended = this.endWith.promise;
  }

  /** Begins with `first` (from recovery): watches the registry, then sends what slashes are pending. */
  async start(first: RoundEvent): Promise<void> {
    await this.registry.start();
    this.voids.start();
    this.reportActiveSet();
    this.dispatch(first);
    this.drainSlashes();
  }

  /** Stops timers and effects, writes the refusals counted, and waits until the effects in flight settle. */
  async stop(): Promise<void> {
    this.guarded(() => this.refusals.flush());
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    this.registry.stop();
    this.voids.stop();
    await Promise.allSettled([...this.tasks]);
  }

  roundState(): RoundState {
    return this.state;
  }

  status(): RoundStatus {
    const state = this.state;
    return {
      phase: state.phase,
      round: state.phase === 'idle' ? null : state.round,
      baseHash: state.phase === 'idle' || state.phase === 'halted' ? null : state.baseHash,
      stage: state.phase === 'collecting' ? state.stage : null,
      deadline: state.phase === 'collecting' ? deadlineOf(state) : null,
      committed: state.phase === 'collecting' ? state.commitments.length : 0,
      accepted: state.phase === 'collecting' || state.phase === 'aggregating' ? state.updates.length : 0,
      quorum: quorumNeeded(state, this.ports.clock.now()),
      halted: this.halted,
    };
  }

  // ---- gossip in --------------------------------------------------------------------------

  onUpdate(event: UpdateEvent): void {
    this.guarded(() => this.take(takeUpdate(this.intake, this.state, event, this.ports.clock.now())));
  }

  onCommitment(event: CommitmentEvent): void {
    this.guarded(() => this.take(takeCommitment(this.intake, this.state, event, this.ports.clock.now())));
  }

  onHeartbeat(heartbeat: Heartbeat): void {
    this.guarded(() => this.take(takeHeartbeat(this.intake, this.state, heartbeat, this.ports.clock.now())));
  }

  onRefused(event: RefusedEvent): void {
    this.guarded(() => this.take(takeRefusal(this.intake, this.state, event, this.ports.clock.now())));
  }

  onVerdict(verdict: SignedVerdict & { peer: string }): void {
    this.guarded(() => this.take(takeVerdict(this.intake, verdict, this.ports.clock.now())));
  }

  private take(intake: Intake): void {
    if (intake.step) this.apply(intake.step);
    if (intake.evidence) this.drainSlashes();
  }

  // ---- the state machine and its effects --------------------------------------------------

  private dispatch(event: RoundEvent): void {
    if (this.stopped) return;
    this.apply(step(this.state, event));
  }

  private apply(result: StepResult): void {
    if (this.stopped) return;
    this.state = result.state;
    const collecting = result.state.phase === 'collecting' ? { round: result.state.round, baseHash: result.state.baseHash, reveal: result.state.stage === 'reveal' } : null;
    this.ports.gossip.admitUpdatesFor(collecting);
    for (const effect of result.effects) this.perform(effect);
    this.scheduleWake();
  }

  private perform(effect: RoundEffect): void {
    const { logger, metrics } = this.ports;
    switch (effect.type) {
      case 'openRound':
        return this.openRound(effect);
      case 'openReveal':
        return this.openReveal(effect);
      case 'forgetRound':
        // Re-sent commitments and updates must count again: daemons never sign a round twice.
        this.ports.store.forgetCommitments(effect.round);
        this.ports.gossip.forgetRound(effect.round);
        return;
      case 'aggregate':
        return this.track(countBusy(metrics, 'aggregating', () => aggregateRound(this.ports, effect)).then((next) => this.dispatch(next)));
      case 'commit':
        // A commit that finds the chain's head moved back under it (a challenge voided rounds)
        // restarts from the head; one that finds a foreign round still open to challenge waits.
        return this.track(
          this.voids
            .explained(countBusy(metrics, 'committing', () => commitRound(this.ports, effect)), effect.round, (error): RoundEvent => ({ type: 'commitFailed', now: this.ports.clock.now(), round: effect.round, attempt: effect.attempt, error, retryable: true }))
            .then((next) => next && this.dispatch(next)),
        );
      case 'commitRetryScheduled':
        metrics.commitErrors.inc();
        logger.warn({ round: effect.round, attempt: effect.attempt, retryAt: new Date(effect.at).toISOString(), error: effect.error }, 'commit failed; retrying');
        return;
      case 'announceModel':
        return this.announceModel(effect);
      case 'halt':
        return this.fail(new ChainStateError(effect.reason, { round: effect.round }));
      case 'eventIgnored':
        logger.debug({ event: effect.event, phase: effect.phase, reason: effect.reason }, 'event ignored');
        return;
      case 'updateIgnored':
      case 'commitmentIgnored':
      case 'equivocation':
        // The intake recorded these: it sees the update itself.
        return;
    }
  }

  private openRound(effect: Extract<RoundEffect, { type: 'openRound' }>): void {
    const { store, gossip, metrics, logger, events } = this.ports;
    store.openRound(effect.round, effect.baseHash, effect.openedAt);
    if (effect.reopened) store.setRevealed(effect.round, null);
    metrics.currentRound.set(effect.round);
    logger.info({ round: effect.round, baseHash: effect.baseHash, deadline: new Date(effect.deadline).toISOString(), reopened: effect.reopened }, 'round open; taking commitments');
    this.publish(() => gossip.publishRoundOpen({ round: effect.round, baseModelHash: effect.baseHash, deadline: effect.deadline, reveal: false }));
    events.emit('roundOpened', { round: effect.round, baseHash: effect.baseHash, deadline: effect.deadline, reopened: effect.reopened });
    if (!effect.reopened) this.voids.resumeKept(effect.round, effect.baseHash);
  }

  /** Journals the reveal before announcing it: a restart resumes the reveal, never takes commitments after it. */
  private openReveal(effect: Extract<RoundEffect, { type: 'openReveal' }>): void {
    const { store, gossip, logger, events } = this.ports;
    store.setRevealed(effect.round, effect.revealedAt);
    logger.info({ round: effect.round, deadline: new Date(effect.deadline).toISOString(), reason: effect.reason }, 'reveal open; taking the committed updates');
    this.publish(() => gossip.publishRoundOpen({ round: effect.round, baseModelHash: effect.baseHash, deadline: effect.deadline, reveal: true }));
    events.emit('revealOpened', { round: effect.round, deadline: effect.deadline });
  }

  /** After a void: the state machine starts again from `first`, keeping what it knows of the nodes. */
  private rebase(first: RoundEvent): void {
    if (this.stopped) return;
    const { lastSeen, activeSet } = this.state;
    this.state = { ...initialRoundState(this.ports.config.round), lastSeen, activeSet };
    this.dispatch(first);
  }

  /** Peers that joined after the round opened learn about it from the re-announcement. */
  private reannounce(): void {
    const state = this.state;
    if (state.phase !== 'collecting') return;
    this.publish(() => this.ports.gossip.publishRoundOpen({ round: state.round, baseModelHash: state.baseHash, deadline: deadlineOf(state), reveal: state.stage === 'reveal' }));
  }

  private announceModel(effect: Extract<RoundEffect, { type: 'announceModel' }>): void {
    const { config, store, gossip, clock, logger, metrics, events } = this.ports;
    // The round's refusals are all counted now: written before anyone hears it is committed, so
    // /rounds/:id is complete at once rather than up to a second later.
    this.refusals.flush();
    const row = store.getRound(effect.round);
    const contributors = store.acceptedUpdates(effect.round).map((update) => update.nodeKey);
    store.recordRoundAttendance(effect.round, contributors);
    // Missed rounds may have failed a node, and contributing brings a failed one back; told once
    // this step's effects (the next round's opening) are carried out.
    queueMicrotask(() => this.reportActiveSet());
    if (row) metrics.roundDuration.observe((clock.now() - row.openedMs) / 1000);
    metrics.committedRounds.inc();
    const checkpoint = store.getCheckpoint(effect.modelHash);
    const nextDeadline = clock.now() + config.round.deadlineMs;
    this.publish(() =>
      gossip.publishModelAnnounce({ round: effect.round, modelHash: effect.modelHash, parentHash: effect.baseHash, checkpointSize: checkpoint?.bytes ?? 0, deadline: nextDeadline }),
    );
    events.emit('roundCommitted', { round: effect.round, modelHash: effect.modelHash, txHash: effect.txHash ?? store.getRound(effect.round)?.txHash ?? null });
    this.committedHere += 1;
    if (config.maxRounds !== undefined && this.committedHere >= config.maxRounds) {
      logger.info({ rounds: this.committedHere }, 'maxRounds committed; stopping');
      this.endWith.resolve();
    }
  }

  private scheduleWake(): void {
    clearTimeout(this.wakeTimer);
    const at = nextWakeAt(this.state, this.ports.clock.now());
    if (at === null || this.stopped) return;
    const delay = Math.min(Math.max(0, at - this.ports.clock.now()) + 5, 60_000);
    this.wakeTimer = setTimeout(() => this.guarded(() => this.dispatch({ type: 'tick', now: this.ports.clock.now() })), delay);
  }

  /** Tells the state machine which nodes count towards the quorum now. */
  private reportActiveSet(): void {
    this.guarded(() => this.dispatch({ type: 'activeSet', now: this.ports.clock.now(), nodeKeys: this.ports.nodes.quorumMembers() }));
  }

  private drainSlashes(): void {
    if (this.stopped) return;
    const { slasher, metrics, logger, events, signal } = this.ports;
    this.track(
      slasher.drain(signal).then((outcomes) => {
        for (const outcome of outcomes) {
          metrics.slashes.inc({ outcome: outcome.status });
          logger.info(outcome, outcome.status === 'slashed' ? 'node slashed' : 'slash failed');
          events.emit('slashed', { nodeKey: outcome.nodeKey, evidenceHash: outcome.evidenceHash, txHash: outcome.txHash, error: outcome.error });
        }
        // A slashed node may have dropped below the minimum stake: re-read the registry now.
        if (outcomes.some((outcome) => outcome.status === 'slashed')) this.registry.refresh();
      }),
    );
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private publish(send: () => Promise<unknown>): void {
    if (this.stopped) return;
    this.track(send().catch((error: unknown) => this.ports.logger.warn({ error: errorMessage(error) }, 'gossip publish failed')));
  }

  /** Keeps an effect's promise until it settles (stop waits for it); an error it throws is fatal. */
  private track(work: Promise<unknown>): void {
    const settled = work.catch((error: unknown) => this.fail(error));
    this.tasks.add(settled);
    void settled.finally(() => this.tasks.delete(settled));
  }

  /** Runs an event handler (none once stopped); an error in it (a database failure) stops the runner cleanly. */
  private guarded(handler: () => void): void {
    if (this.stopped) return;
    try {
      handler();
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.stopped) return;
    const reason = errorMessage(error);
    this.halted = reason;
    this.ports.logger.error({ error: reason }, 'coordinator stopping on an error');
    this.ports.events.emit('halted', { reason });
    this.stopped = true;
    clearTimeout(this.wakeTimer);
    this.registry.stop();
    this.voids.stop();
    this.endWith.reject(error);
  }
}
