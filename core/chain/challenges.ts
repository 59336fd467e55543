import type { Address, Hex } from 'viem';
import {
  bondOf,
  challengeRound,
  challengerShareBps,
  contractAt,
  postBond,
  thresholdBps,
  verdictDigest,
  withdrawBond,
  type ActionOptions,
  type ChallengeRoundReturnType,
  type ContractAt,
  type SentTransaction,
} from './actions/index.ts';
import type { ChainClients } from './clients.ts';
import { ChainInputError } from './errors.ts';
import { TokenClient } from './token.ts';

/** Verdict codes as RoundChallenges reads them (core/protocol's verdictCode gives the same numbers). */
export const VERDICT_CODES = { match: 0, mismatch: 1, unavailable: 2 } as const;

/** One signed verdict as RoundChallenges takes it; `verdict` is its on-chain code (1 mismatch, 2 unavailable). */
export interface VerdictSubmission {
  nodeKey: Address;
  verdict: number;
  signature: Hex;
}

/** RoundChallenges: the coordinator's bond, and challenges of pending rounds. */
export class ChallengesClient {
  readonly address: Address;
  readonly #challenges: ContractAt<'RoundChallenges'>;
  readonly #token: TokenClient;

  constructor(clients: ChainClients, addresses: { challenges: Address; token: Address }) {
    this.address = addresses.challenges;
    this.#challenges = contractAt(clients, 'RoundChallenges', addresses.challenges);
    this.#token = new TokenClient(clients, addresses.token);
  }

  /**
   * Submits verdicts against pending round `roundId` in one transaction, sorted by node key as the
   * contract requires (a key given twice counts once: the first is kept). Resolves with the
   * `RoundChallenged` event (rounds voided, bond slashed, challenger's share).
   */
  challengeRound(roundId: number, verdicts: readonly VerdictSubmission[], options: ActionOptions = {}): Promise<ChallengeRoundReturnType> {
    if (!Number.isSafeInteger(roundId) || roundId < 1) throw new ChainInputError('a challenge needs a committed round id (>= 1)', roundId);
    const byKey = new Map<bigint, VerdictSubmission>();
    for (const verdict of verdicts) {
      if (!Number.isInteger(verdict.verdict) || verdict.verdict < 0 || verdict.verdict > 255) {
        throw new ChainInputError('a verdict code must be an integer in [0, 255] (1 mismatch, 2 unavailable)', verdict.verdict);
      }
      const key = BigInt(verdict.nodeKey);
      if (!byKey.has(key)) byKey.set(key, verdict);
    }
    const sorted = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, verdict]) => verdict);
    return challengeRound(this.#challenges, { roundId: BigInt(roundId), verdicts: sorted, signal: options.signal });
  }

  /** Adds `amount` to the current coordinator's bond, approving the contract first when needed. */
  async postBond(amount: bigint, options: ActionOptions = {}): Promise<SentTransaction> {
    await this.#token.ensureAllowance(this.address, amount, options);
    return postBond(this.#challenges, { amount, signal: options.signal });
  }

  /** Takes back `amount` of the account's bond (only a former coordinator, once every round it committed is final). */
  withdrawBond(amount: bigint, options: ActionOptions = {}): Promise<SentTransaction> {
    return withdrawBond(this.#challenges, { amount, signal: options.signal });
  }

  bondOf(coordinator: Address, options: ActionOptions = {}): Promise<bigint> {
    return bondOf(this.#challenges, { coordinator, signal: options.signal });
  }

  /** Share of the total active stake that verdicts need, in basis points. */
  async thresholdBps(options: ActionOptions = {}): Promise<number> {
    return Number(await thresholdBps(this.#challenges, options));
  }

  /** Share of a slashed bond paid to the challenger, in basis points. */
  async challengerShareBps(options: ActionOptions = {}): Promise<number> {
    return Number(await challengerShareBps(this.#challenges, options));
  }

  /** The digest a verdict's signature must recover from (as core/protocol computes it). */
  verdictDigest(verdict: { roundId: number; modelHash: Hex; rewardsRoot: Hex; verdict: number }, options: ActionOptions = {}): Promise<Hex> {
    return verdictDigest(this.#challenges, { ...verdict, roundId: BigInt(verdict.roundId), signal: options.signal });
  }
}
