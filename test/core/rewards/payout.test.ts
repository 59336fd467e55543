import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import { allocateRewards, payRound, scoreUpdates, type PayoutUpdate } from '../../../core/rewards/index.ts';
import { digest, evaluateLoss, node, params, toward } from './fixtures.ts';

const update = (i: number, fraction: number, noise: number): PayoutUpdate => ({
  nodeKey: node(i),
  digest: digest(100 + i),
  payloadDigest: digest(200 + i),
  delta: toward(fraction, noise, i),
  arrival: i,
});
const BUDGET = 1000n * 10n ** 18n;

describe('payRound', () => {
  const updates = [update(1, 0.9, 0.1), update(2, 0.5, 0.3), update(3, 0.3, 0.2)];

  it('is scoreUpdates then allocateRewards under the cap, in input order', async () => {
    const payout = await payRound({ params, updates, setAside: [], evaluateLoss, budgetWei: BUDGET, capShare: 0.3 });
    const { scores } = await scoreUpdates({ params, updates: updates.map((u) => ({ ...u, digest: u.payloadDigest })), evaluateLoss });
    const expected = allocateRewards(scores.map((s) => ({ key: s.nodeKey, score: s.score })), BUDGET, (BUDGET * 3n) / 10n);
    assert.deepEqual(payout.scores, scores);
    assert.deepEqual(payout.rewards, expected.rewards.map((entry) => entry.reward));
    assert.equal(payout.rewards[0], (BUDGET * 3n) / 10n, 'the best update is held at the cap');
    assert.equal(payout.rewards.reduce((sum, reward) => sum + reward, 0n) + payout.unallocated, BUDGET);
  });

  it('pays nothing for an update the rule set aside, named by its EIP-712 digest in any case', async () => {
    const setAside = [updates[0].digest.toUpperCase().replace('0X', '0x') as Hex];
    const payout = await payRound({ params, updates, setAside, evaluateLoss, budgetWei: BUDGET, capShare: 1 });
    assert.equal(payout.scores[0].verdict, 'rejected');
    assert.equal(payout.rewards[0], 0n);
    assert.equal(payout.rewards[1] + payout.rewards[2], BUDGET);
  });

  it('takes the cap to fixed point (1e6) before scaling the budget', async () => {
    const payout = await payRound({ params, updates: [updates[0]], setAside: [], evaluateLoss, budgetWei: 10n ** 18n, capShare: 0.1234567 });
    assert.equal(payout.rewards[0], (10n ** 18n * 123457n) / 1_000_000n);
  });
});
