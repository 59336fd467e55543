import type { Address } from 'viem';
import { StoredRoundCache, VERDICT_CODES, type GradnetChain } from '../core/chain/index.ts';
import type { VerdictLedger } from '../core/protocol/index.ts';
import type { AuditChain } from './auditor.ts';
import type { ChallengeChain } from './challenger.ts';

/** What gossip validation checks a verdict against: the hashes the ledger stores for the round, read once per burst of verdicts. */
export function verdictLedger(chain: GradnetChain): VerdictLedger {
  const stored = new StoredRoundCache(chain.ledger);
  return { committedRound: (round, signal) => stored.storedRound(round, { signal }) };
}

/** The auditor's reads: rounds in full, the challenge window, owners of node keys. */
export function auditChain(chain: GradnetChain): AuditChain {
  return {
    getRound: (round) => chain.ledger.getRound(round),
    challengeWindow: (options) => chain.ledger.challengeWindow(options),
    chainTime: async () => Number((await chain.clients.publicClient.getBlock()).timestamp),
    ownerOf: (nodeKey: Address) => chain.registry.ownerOf(nodeKey),
  };
}

/** The challenger's reads and its one write, sent from the account `chain` was connected with (the daemon's node key). */
export function challengeChain(chain: GradnetChain): ChallengeChain {
  return {
    thresholdBps: async (options) => BigInt(await chain.challenges.thresholdBps(options)),
    totalActiveStake: () => chain.registry.totalActiveStake(),
    activeStakeOf: (nodeKey) => chain.registry.activeStakeOf(nodeKey),
    isFinal: (round, options) => chain.ledger.isFinal(round, options),
    challengeRound: (round, verdicts, options) =>
      chain.challenges.challengeRound(round, verdicts.map((verdict) => ({ nodeKey: verdict.nodeKey, verdict: VERDICT_CODES[verdict.verdict], signature: verdict.signature })), options),
  };
}
