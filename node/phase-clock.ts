/**
 * What a peer spends its wall time on. `waiting` is the time no step of the round runs: the
 * daemon sleeps until the round opens, the reveal is announced or the next poll is due.
 */
export const PEER_PHASES = ['training', 'waiting', 'chainReads', 'fetching', 'encoding', 'signing', 'gossip', 'auditing'] as const;
export type PeerPhase = (typeof PEER_PHASES)[number];

export interface PhaseSnapshot {
  /** Milliseconds since the clock started; always the sum of `phasesMs`. */
  wallMs: number;
  phasesMs: Record<PeerPhase, number>;
}

/**
 * Accounts every millisecond of a peer's wall time to exactly one phase, so that the phases add
 * up to the wall time by construction. Phases nest (the trainer encodes inside the daemon's
 * training step): the time goes to the innermost phase still open, and to `waiting` when none is.
 */
export class PhaseClock {
  readonly #now: () => number;
  readonly #startedAt: number;
  #settledAt: number;
  /** Open phases, innermost last; each entry is its own token so an exit closes only its own. */
  readonly #open: { phase: PeerPhase }[] = [];
  readonly #totals = Object.fromEntries(PEER_PHASES.map((phase) => [phase, 0])) as Record<PeerPhase, number>;

  constructor(now: () => number) {
    this.#now = now;
    this.#startedAt = now();
    this.#settledAt = this.#startedAt;
  }

  /** Opens `phase`; the returned function closes it (a second call does nothing). */
  enter(phase: PeerPhase): () => void {
    this.#settle();
    const entry = { phase };
    this.#open.push(entry);
    return () => {
      const index = this.#open.indexOf(entry);
      if (index < 0) return;
      this.#settle();
      this.#open.splice(index, 1);
    };
  }

  /** Runs `run` inside `phase`, closing it however `run` ends. */
  async during<T>(phase: PeerPhase, run: () => Promise<T> | T): Promise<T> {
    const exit = this.enter(phase);
    try {
      return await run();
    } finally {
      exit();
    }
  }

  /** The totals since the clock started, the current phase counted up to now. */
  snapshot(): PhaseSnapshot {
    this.#settle();
    return { wallMs: this.#settledAt - this.#startedAt, phasesMs: { ...this.#totals } };
  }

  #settle(): void {
    const now = this.#now();
    const current = this.#open.at(-1)?.phase ?? 'waiting';
    this.#totals[current] += now - this.#settledAt;
    this.#settledAt = now;
  }
}
