import { getAddress, type Hex } from 'viem';
import { isVerdictAgainst, type SignedVerdict } from '../core/protocol/index.ts';

/** Basis points: RoundChallenges' threshold is a share of the total active stake in 1/10,000. */
const BPS = 10_000n;

/** What a set of verdicts is about: one committed version of one round (a voided round is committed again under another hash). */
export function verdictSubject(verdict: Pick<SignedVerdict, 'round' | 'modelHash' | 'rewardsRoot'>): string {
  return `${verdict.round}:${verdict.modelHash.toLowerCase()}:${verdict.rewardsRoot.toLowerCase()}`;
}

/**
 * Whether stake `against` reaches `thresholdBps` of `totalActiveStake`, in exact integers the way
 * RoundChallenges compares them (against · 10,000 ≥ total · threshold).
 */
export function reachesThreshold(against: bigint, totalActiveStake: bigint, thresholdBps: bigint): boolean {
  return totalActiveStake > 0n && against * BPS >= totalActiveStake * thresholdBps;
}

/** RoundChallenges wants verdicts by strictly increasing node key (numerically, which is lowercase hex order). */
export function byNodeKey(a: SignedVerdict, b: SignedVerdict): number {
  const [ka, kb] = [a.nodeKey.toLowerCase(), b.nodeKey.toLowerCase()];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * The validated verdicts this daemon has seen (gossiped and its own), per committed round: the
 * first verdict of each node key on a subject counts, later ones from the same key are dropped
 * (a node signs one per round; a second one changes nothing on chain). Pure state, no I/O: the
 * Challenger decides when they are enough. Bounded: only the newest `maxSubjects` subjects are kept.
 */
export class VerdictCollector {
  readonly #bySubject = new Map<string, Map<Hex, SignedVerdict>>();
  readonly #maxSubjects: number;

  constructor(options: { maxSubjects?: number } = {}) {
    this.#maxSubjects = options.maxSubjects ?? 64;
  }

  /** Keeps `verdict`; true when it is new (the first of its node key on its subject). */
  add(verdict: SignedVerdict): boolean {
    const subject = verdictSubject(verdict);
    let byKey = this.#bySubject.get(subject);
    if (byKey === undefined) {
      byKey = new Map();
      this.#bySubject.set(subject, byKey);
      // Maps iterate in insertion order: the oldest subject goes first.
      for (const oldest of this.#bySubject.keys()) {
        if (this.#bySubject.size <= this.#maxSubjects) break;
        this.#bySubject.delete(oldest);
      }
    }
    const key = getAddress(verdict.nodeKey);
    if (byKey.has(key)) return false;
    byKey.set(key, verdict);
    return true;
  }

  /** The mismatch and unavailable verdicts on `subject`, sorted by node key as challengeRound wants them. */
  against(subject: string): SignedVerdict[] {
    return [...(this.#bySubject.get(subject)?.values() ?? [])].filter((verdict) => isVerdictAgainst(verdict.verdict)).sort(byNodeKey);
  }

  /** How many verdicts of each kind a subject holds (for logs and status). */
  tally(subject: string): Record<SignedVerdict['verdict'], number> {
    const tally = { match: 0, mismatch: 0, unavailable: 0 };
    for (const verdict of this.#bySubject.get(subject)?.values() ?? []) tally[verdict.verdict] += 1;
    return tally;
  }

  /** Drops the verdicts on `subject` (it became final, or was challenged). */
  forget(subject: string): void {
    this.#bySubject.delete(subject);
  }
}
