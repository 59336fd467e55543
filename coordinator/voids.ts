import type { Hex } from 'viem';
import { errorMessage } from '../core/errors.ts';
import type { StructuredLogger } from '../core/log/index.ts';
import type { RoundCheckpoints, RoundEvent, RoundLedger, RoundState } from '../core/round/index.ts';
import type { Clock } from '../core/time/index.ts';
import { ChainStateError, CoordinatorError } from './errors.ts';
import { recover } from './recovery.ts';
import type { CoordinatorStore } from './store.ts';

/** The newest `RoundsVoided` event of the ledger: a challenge voided `fromRound`..`throughRound`. */
export interface VoidedRounds {
  fromRound: number;
  throughRound: number;
  /** The head's model after the void: round `fromRound - 1`'s. */
  restoredModelHash: Hex;
  txHash: Hex;
}

/** What following voids reads from the chain: the ledger's head, its last void, and which rounds are final. */
export interface VoidChain extends Pick<RoundLedger<unknown>, 'roundCount' | 'latestModelHash'> {
  lastVoid(): Promise<VoidedRounds | undefined>;
  /** Whether committed round `round` is past its challenge window (it can no longer be voided). */
  isFinal(round: number): Promise<boolean>;
}

export interface VoidFollowerPorts {
  chain: VoidChain;
  store: CoordinatorStore;
  checkpoints: RoundCheckpoints;
  clock: Clock;
  logger: StructuredLogger;
  /** How often the ledger's head is compared with the rounds this coordinator committed. */
  pollMs: number;
  /** The round state machine as it is now (a void waits while an aggregation or commit is in flight). */
  state: () => RoundState;
  /** Restarts the round state machine from `first` (the round after the restored head). */
  rebase: (first: RoundEvent) => void;
  /** Keeps the promise until it settles; a rejection (a chain that contradicts the store) is fatal. */
  track: (work: Promise<unknown>) => void;
}

/**
 * Carries the coordinator on after a challenge voids rounds it committed. Every `pollMs` it
 * compares the ledger's round count with the store's latest committed round; when the head went
 * back and the ledger's last `RoundsVoided` event explains it (it voided exactly the rounds after
 * the head and restored the head's model), the voided rounds are marked in the store, and the
 * state machine starts again where recovery would after a restart: the round after the head, on
 * the head's model, with the updates the store kept. A head that went back without such an event
 * is a reset chain or another deployment: a ChainStateError, as at start-up.
 */
export class VoidFollower {
  private readonly ports: VoidFollowerPorts;
  private timer: NodeJS.Timeout | undefined;
  /** Looks run one after the other: two at once could both see the void and mark it twice. */
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  /** The round opening whose kept updates were last taken back (`round:baseHash`). */
  private resumed: string | null = null;

  constructor(ports: VoidFollowerPorts) {
    this.ports = ports;
  }

  start(): void {
    // A slow RPC must not pile looks up: the timer adds one only when none is waiting.
    // A look the RPC failed (the chain unreachable for a while) is made again on the next tick;
    // only the coordinator's own errors (a store failure, a chain that contradicts it) are fatal.
    this.timer = setInterval(() => {
      if (this.waiting === 0) this.ports.track(this.check().catch((error: unknown) => {
        if (error instanceof CoordinatorError) throw error;
        this.ports.logger.warn({ error: errorMessage(error) }, 'looking for voided rounds failed; looking again');
      }));
    }, this.ports.pollMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Looks once: true when it found a void and restarted the rounds. `settled` says the caller
   * knows no aggregation or commit is in flight (a commit that just failed on the chain's head);
   * otherwise a void found during one waits for the next look, so a result still to come cannot
   * write into a round that is gone.
   */
  check(options: { settled?: boolean } = {}): Promise<boolean> {
    this.waiting += 1;
    const look = this.queue.then(() => this.follow(options.settled === true)).finally(() => {
      this.waiting -= 1;
    });
    this.queue = look.catch(() => undefined);
    return look;
  }

  /**
   * Wraps the commit of round `round`, whose ChainStateError may be a challenge at work rather than
   * a contradiction: the chain's head moved back under it (a void: restart from the head, resolve
   * null), or the chain holds round `round` with a model this coordinator did not produce and that
   * round is still pending (its key committed elsewhere, and auditors may void it: resolve with
   * `wait`'s event, a retry). Anything else, and a foreign round that became final, stays fatal.
   */
  async explained<T>(work: Promise<T>, round: number, wait: (reason: string) => T): Promise<T | null> {
    try {
      return await work;
    } catch (error) {
      if (!(error instanceof ChainStateError)) throw error;
      try {
        if (await this.check({ settled: true })) return null;
        const { chain } = this.ports;
        if ((await chain.roundCount()) < round || (await chain.isFinal(round))) throw error;
      } catch (checkError) {
        if (checkError !== error) this.ports.logger.warn({ error: errorMessage(checkError) }, 'looking for a void after a chain state error failed');
        throw error;
      }
      const reason = `round ${round} is on chain with a model this coordinator did not produce (${errorMessage(error)}); it is still in its challenge window, so auditors may void it: waiting, and halting if it becomes final`;
      this.ports.logger.error({ round }, reason);
      return wait(reason);
    }
  }

  private async follow(settled: boolean): Promise<boolean> {
    const { chain, store, clock, logger } = this.ports;
    const committed = store.latestCommittedRound();
    if (committed === null) return false;
    const onChain = await chain.roundCount();
    if (onChain >= committed.round) return false;
    if (!settled && inFlight(this.ports.state())) return false;
    const [voided, head] = await Promise.all([chain.lastVoid(), chain.latestModelHash()]);
    if (voided === undefined || voided.fromRound !== onChain + 1 || voided.restoredModelHash.toLowerCase() !== head.toLowerCase()) {
      throw new ChainStateError(
        `the chain's head is round ${onChain} but this coordinator committed round ${committed.round}, and no RoundsVoided event explains it${voided === undefined ? '' : ` (the last one voided rounds ${voided.fromRound}-${voided.throughRound})`}; the chain was reset or is another deployment, use a fresh data directory`,
        { onChain, committed: committed.round, voided },
      );
    }
    const rounds = store.markRoundsVoided(voided.fromRound, clock.now());
    logger.warn(
      { fromRound: voided.fromRound, throughRound: voided.throughRound, voided: rounds, restoredModelHash: head, txHash: voided.txHash },
      `rounds ${voided.fromRound}-${voided.throughRound} were voided by a challenge; carrying on from round ${onChain} (model ${head})`,
    );
    await this.restart();
    return true;
  }

  /**
   * Round `round` just opened on `baseHash`: if the store kept its commitments and updates from
   * before a void (it was collecting, or committed and voided, on this same model), the round
   * takes them back the way a restart would, since the nodes that sent them never sign that
   * round again and gossip drops their re-sends as duplicates.
   */
  resumeKept(round: number, baseHash: Hex): void {
    const kept = this.ports.store.keptFromVoid(round, baseHash);
    const digests = [...kept.commitments, ...kept.updates].map((entry) => entry.digest.toLowerCase());
    if (digests.length === 0) return;
    // Effects run after the step that made them: a round restarted from the journal may hold them, or be aggregating them, already.
    const state = this.ports.state();
    if (state.phase !== 'idle' && state.phase !== 'collecting' && state.round === round) return;
    const held = new Set(state.phase === 'collecting' && state.round === round ? [...state.commitments, ...state.updates].map((entry) => entry.digest.toLowerCase()) : []);
    // Once per opening: an entry that cannot join (say, an update whose commitment is gone) must not restart it over and over.
    const attempt = `${round}:${baseHash.toLowerCase()}`;
    if (digests.every((digest) => held.has(digest)) || this.resumed === attempt) return;
    this.resumed = attempt;
    this.ports.logger.info({ round, commitments: kept.commitments.length, updates: kept.updates.length }, `round ${round} opened again on the same model after a void: taking back what it had`);
    this.ports.track(this.restart());
  }

  private async restart(): Promise<void> {
    const { chain, store, checkpoints, clock, logger } = this.ports;
    this.ports.rebase(await recover({ ledger: chain, journal: store, checkpoints, clock, logger }));
  }
}

/** An aggregation or a commit transaction is under way: its result would land in a voided round. */
function inFlight(state: RoundState): boolean {
  return state.phase === 'aggregating' || (state.phase === 'committing' && state.retryAt === null);
}
