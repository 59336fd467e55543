// Rows for coordinator store tests: hashes and addresses from small numbers, an update as the
// intake stores it, a round's aggregation result.
import type { Hex } from 'viem';
import type { RoundResult, UpdateRecord } from '../../coordinator/store.ts';

export const hash = (n: number): Hex => `0x${n.toString(16).padStart(64, '0')}`;
export const address = (n: number): Hex => `0x${n.toString(16).padStart(40, '0')}`;

export function update(round: number, node: number, digest: number, verdict: 'accepted' | 'rejected' = 'accepted'): UpdateRecord {
  return {
    round,
    nodeKey: address(node),
    digest: hash(digest),
    verdict,
    reason: verdict === 'rejected' ? 'bad-signature' : null,
    baseHash: hash(1000 + round),
    samples: 100,
    trainLoss: 0.5,
    codec: 'fp32',
    signature: hash(7),
    message: verdict === 'accepted' ? new Uint8Array([1, 2, 3, node]) : null,
    bytes: 4,
    receivedMs: 1,
    peerId: null,
  };
}

export function result(round: number): RoundResult {
  return {
    modelHash: hash(2000 + round),
    updatesRoot: hash(3000 + round),
    rewardsRoot: hash(4000 + round),
    contributors: 2,
    totalSamples: 200,
    loss: 0.4,
    accuracy: 0.9,
    rewardBudget: 10n ** 18n,
    stats: { rule: 'median' },
  };
}
