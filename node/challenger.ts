import type { Address, Hex } from 'viem';
import { RpcUnreachableError } from '../core/chain/index.ts';
import { errorMessage } from '../core/errors.ts';
import type { StructuredLogger } from '../core/log/index.ts';
import type { Abortable } from '../core/peer/index.ts';
import { isVerdictAgainst, type SignedVerdict, type VerdictKind } from '../core/protocol/index.ts';
import { retryWithBackoff, type BackoffOptions } from '../core/time/index.ts';
import { reachesThreshold, VerdictCollector, verdictSubject } from './verdicts.ts';

/** The chain as a challenger reads and writes it (RoundChallenges, NodeRegistry and RoundLedger through core/chain). */
export interface ChallengeChain {
  /** RoundChallenges' share of the total active stake that must be against a round, in basis points. */
  thresholdBps(options?: Abortable): Promise<bigint>;
  totalActiveStake(options?: Abortable): Promise<bigint>;
  /** The stake of an active node key; 0 when it is not active (its verdict would make the challenge revert). */
  activeStakeOf(nodeKey: Address, options?: Abortable): Promise<bigint>;
  /** Whether the round's challenge window has closed (it can no longer be challenged). */
  isFinal(round: number, options?: Abortable): Promise<boolean>;
  /** Sends `challengeRound(round, verdicts)` from this daemon's node key and waits for its receipt. */
  challengeRound(round: number, verdicts: readonly SignedVerdict[], options?: Abortable): Promise<{ hash: Hex }>;
}

export type ChallengeOutcome =
  | { status: 'challenged'; round: number; txHash: Hex; verdicts: number; against: bigint; totalActiveStake: bigint }
  /** The transaction reverted: another daemon challenged first, the round became final, or the ledger moved on. Not retried. */
  | { status: 'refused'; round: number; error: string }
  /** The window closed before enough stake stood against the round. */
  | { status: 'final'; round: number }
  /** Not enough stake against the round yet; more verdicts may come. */
  | { status: 'waiting'; round: number; against: bigint; totalActiveStake: bigint; thresholdBps: bigint };

export interface ChallengerOptions {
  chain: ChallengeChain;
  logger: StructuredLogger;
  /** RPC failures are retried with this backoff (core/time) until they pass or `signal` aborts. */
  backoff: BackoffOptions;
  /** Aborted when the daemon stops: no evaluation or transaction outlives it. */
  signal: AbortSignal;
  collector?: VerdictCollector;
  /** Which failures are transient. Default: the RPC endpoint did not answer (a revert is final). */
  isRetryable?: (error: unknown) => boolean;
  onOutcome?: (outcome: ChallengeOutcome) => void;
}

/**
 * Acts on verdicts: every validated verdict (gossiped or this daemon's own) goes to `offer`; when
 * the mismatch and unavailable verdicts on one committed round come from active nodes holding at
 * least RoundChallenges' threshold of the total active stake, it submits
 * `challengeRound(round, verdicts sorted by node key)` once. Any daemon may: one that loses the
 * race gets a revert, which is logged and not retried. Evaluations of one subject never overlap;
 * verdicts arriving meanwhile trigger one more evaluation after it.
 */
export class Challenger {
  readonly #chain: ChallengeChain;
  readonly #logger: StructuredLogger;
  readonly #backoff: BackoffOptions;
  readonly #signal: AbortSignal;
  readonly #collector: VerdictCollector;
  readonly #isRetryable: (error: unknown) => boolean;
  readonly #onOutcome: ((outcome: ChallengeOutcome) => void) | undefined;
  /**
   * Subjects (a round as committed, with its hashes) challenged, refused or final: nothing more to
   * do for them. A round voided and committed anew is another subject, judged afresh.
   */
  readonly #settled = new Set<string>();
  readonly #running = new Map<string, Promise<ChallengeOutcome | undefined>>();
  readonly #dirty = new Set<string>();
  #thresholdBps: bigint | undefined;

  constructor(options: ChallengerOptions) {
    this.#chain = options.chain;
    this.#logger = options.logger;
    this.#backoff = options.backoff;
    this.#signal = options.signal;
    this.#collector = options.collector ?? new VerdictCollector();
    this.#isRetryable = options.isRetryable ?? ((error) => error instanceof RpcUnreachableError);
    this.#onOutcome = options.onOutcome;
  }

  /**
   * Takes a validated verdict. Returns the evaluation it triggered (for tests and callers that
   * want to wait), or undefined when there is nothing to evaluate: a match, a repeat, a settled round.
   */
  offer(verdict: SignedVerdict): Promise<ChallengeOutcome | undefined> | undefined {
    const subject = verdictSubject(verdict);
    if (this.#settled.has(subject) || this.#signal.aborted) return undefined;
    if (!this.#collector.add(verdict) || !isVerdictAgainst(verdict.verdict)) return undefined;
    return this.#schedule(subject, verdict.round);
  }

  #schedule(subject: string, round: number): Promise<ChallengeOutcome | undefined> {
    const running = this.#running.get(subject);
    if (running !== undefined) {
      this.#dirty.add(subject);
      return running;
    }
    const run = (async (): Promise<ChallengeOutcome | undefined> => {
      let outcome: ChallengeOutcome | undefined;
      do {
        this.#dirty.delete(subject);
        outcome = await this.#evaluateWithRetries(subject, round);
      } while (outcome?.status === 'waiting' && this.#dirty.has(subject) && !this.#signal.aborted);
      return outcome;
    })().finally(() => this.#running.delete(subject));
    this.#running.set(subject, run);
    return run;
  }

  async #evaluateWithRetries(subject: string, round: number): Promise<ChallengeOutcome | undefined> {
    let outcome: ChallengeOutcome;
    try {
      outcome = await retryWithBackoff(() => this.#evaluate(subject, round), {
        ...this.#backoff,
        signal: this.#signal,
        isRetryable: this.#isRetryable,
        onRetry: (error, attempt, delayMs) => this.#logger.warn({ event: 'challenge-retry', round, attempt, delayMs, err: errorMessage(error) }, `challenge of round ${round}: chain unavailable, retrying in ${delayMs} ms`),
      });
    } catch (error) {
      if (this.#signal.aborted) return undefined;
      outcome = { status: 'refused', round, error: errorMessage(error) };
    }
    // Counted before a settled subject's verdicts are dropped: the log says what stood against it.
    const tally = this.#collector.tally(subject);
    if (outcome.status !== 'waiting') {
      this.#settled.add(subject);
      this.#collector.forget(subject);
    }
    this.#report(outcome, tally);
    return outcome;
  }

  async #evaluate(subject: string, round: number): Promise<ChallengeOutcome> {
    const signal = this.#signal;
    if (await this.#chain.isFinal(round, { signal })) return { status: 'final', round };
    const verdicts = this.#collector.against(subject);
    this.#thresholdBps ??= await this.#chain.thresholdBps({ signal });
    const thresholdBps = this.#thresholdBps;
    const [totalActiveStake, stakes] = await Promise.all([
      this.#chain.totalActiveStake({ signal }),
      Promise.all(verdicts.map((verdict) => this.#chain.activeStakeOf(verdict.nodeKey, { signal }))),
    ]);
    // A node that left since it signed would make the whole challenge revert: leave it out.
    const counted = verdicts.filter((_, index) => stakes[index] > 0n);
    const against = stakes.reduce((sum, stake) => sum + stake, 0n);
    if (!reachesThreshold(against, totalActiveStake, thresholdBps)) return { status: 'waiting', round, against, totalActiveStake, thresholdBps };
    const sent = await this.#chain.challengeRound(round, counted, { signal });
    return { status: 'challenged', round, txHash: sent.hash, verdicts: counted.length, against, totalActiveStake };
  }

  #report(outcome: ChallengeOutcome, tally: Record<VerdictKind, number>): void {
    const { round } = outcome;
    const fields = { event: `challenge-${outcome.status}`, tally, ...Object.fromEntries(Object.entries(outcome).map(([key, value]) => [key, typeof value === 'bigint' ? value.toString() : value])) };
    switch (outcome.status) {
      case 'challenged':
        this.#logger.warn(fields, `challenged round ${round} with ${outcome.verdicts} verdicts holding ${outcome.against} of ${outcome.totalActiveStake} active stake (tx ${outcome.txHash})`);
        break;
      case 'refused':
        this.#logger.info(fields, `challenge of round ${round} not sent or reverted (another daemon may have challenged first, or the round is final): ${outcome.error}`);
        break;
      case 'final':
        this.#logger.info(fields, `round ${round} became final before enough stake stood against it`);
        break;
      case 'waiting':
        this.#logger.debug(fields, `round ${round}: ${outcome.against} of ${outcome.totalActiveStake} active stake against, ${outcome.thresholdBps} bps needed`);
        break;
    }
    this.#onOutcome?.(outcome);
  }
}
