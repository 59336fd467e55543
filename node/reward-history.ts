import { isAddress } from 'viem';
import type { RoundContribution } from '../core/rewards/index.ts';
import type { RewardHistory } from './auditor.ts';

/** How long one request to the coordinator's API may take. */
const REQUEST_TIMEOUT_MS = 5000;

/**
 * The reward rows of committed rounds from the coordinator's API (`GET /rounds/:round`, its
 * `rewards`: one row per owner). Not trusted: the auditor folds them and uses them only if they
 * hash to the rewards root the ledger committed.
 */
export function coordinatorRewardHistory(apiUrl: string): RewardHistory {
  const base = apiUrl.replace(/\/$/, '');
  return {
    async roundRewards(round, signal) {
      const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
      const response = await fetch(`${base}/rounds/${round}`, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      if (!response.ok) throw new Error(`${base}/rounds/${round} answered ${response.status}`);
      const body = (await response.json()) as { rewards?: unknown };
      if (!Array.isArray(body.rewards)) throw new Error(`${base}/rounds/${round} lists no rewards`);
      return body.rewards.map((row: Record<string, unknown>): RoundContribution => {
        const { owner, amount, samples, counted } = row ?? {};
        if (typeof owner !== 'string' || !isAddress(owner, { strict: false }) || typeof amount !== 'string' || !/^\d+$/.test(amount) || typeof samples !== 'number' || typeof counted !== 'boolean') {
          throw new Error(`${base}/rounds/${round} has a malformed reward row ${JSON.stringify(row)}`);
        }
        return { owner, reward: BigInt(amount), samples, counted };
      });
    },
  };
}
