import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RewardsError, allocateRewards, type RewardShare } from '../../../core/rewards/index.ts';
import { seededRandom } from '../../support/random.ts';

/** Scores as fixed point (1e-9 points), as scoreUpdates gives them. */
const shares = (...scores: number[]): RewardShare[] => scores.map((score, i) => ({ key: `n${i}`, points: BigInt(Math.round(score * 1e9)) }));
const amounts = (result: ReturnType<typeof allocateRewards>): bigint[] => result.rewards.map((r) => r.reward);

describe('allocateRewards', () => {
  it('splits the budget by score, exactly', () => {
    const result = allocateRewards(shares(1, 3), 1000n, 1000n);
    assert.deepEqual(amounts(result), [250n, 750n]);
    assert.equal(result.allocated, 1000n);
    assert.equal(result.unallocated, 0n);
  });

  it('hands leftover wei to the largest remainders, ties to the earlier share', () => {
    assert.deepEqual(amounts(allocateRewards(shares(1, 1, 1), 100n, 100n)), [34n, 33n, 33n]);
    assert.deepEqual(amounts(allocateRewards(shares(1, 2), 10n, 10n)), [3n, 7n]);
  });

  it('caps each node and re-splits the rest among the others', () => {
    // 10:1:1 of 120 would give 100; the cap is 50, so the remaining 70 goes 35/35.
    assert.deepEqual(amounts(allocateRewards(shares(10, 1, 1), 120n, 50n)), [50n, 35n, 35n]);
    // Capping one can push another over the cap in the next pass.
    assert.deepEqual(amounts(allocateRewards(shares(100, 10, 9, 1), 100n, 30n)), [30n, 30n, 30n, 10n]);
  });

  it('leaves what no one may take unallocated', () => {
    const capped = allocateRewards(shares(5, 5), 100n, 20n);
    assert.deepEqual(amounts(capped), [20n, 20n]);
    assert.equal(capped.unallocated, 60n);
    const nobody = allocateRewards(shares(0, 0), 100n, 100n);
    assert.deepEqual(amounts(nobody), [0n, 0n]);
    assert.equal(nobody.unallocated, 100n);
    assert.equal(allocateRewards([], 5n, 5n).unallocated, 5n);
  });

  it('never exceeds the budget or the cap, over random inputs', () => {
    const random = seededRandom(5);
    for (let run = 0; run < 500; run++) {
      const count = 1 + Math.floor(random() * 12);
      const input = shares(...Array.from({ length: count }, () => (random() < 0.2 ? 0 : random() ** 3 * 10)));
      const budget = BigInt(Math.floor(random() * 1e6)) * 10n ** BigInt(Math.floor(random() * 14));
      const cap = (budget * BigInt(1 + Math.floor(random() * 100))) / 100n;
      const result = allocateRewards(input, budget, cap);
      const total = amounts(result).reduce((sum, reward) => sum + reward, 0n);
      assert.equal(total, result.allocated);
      assert.equal(result.allocated + result.unallocated, budget);
      for (const [i, reward] of amounts(result).entries()) {
        assert.ok(reward <= cap, `run ${run}: ${reward} over cap ${cap}`);
        if (input[i].points === 0n) assert.equal(reward, 0n);
      }
      // Budget is fully spent unless every scorer is at the cap or no one scored.
      const scorers = input.filter((share) => share.points > 0n).length;
      if (scorers > 0 && BigInt(scorers) * cap >= budget) assert.equal(result.unallocated, 0n, `run ${run}`);
      // Same input, same wei.
      assert.deepEqual(allocateRewards(input, budget, cap), result);
    }
  });

  it('refuses negative amounts, bad scores and duplicate keys', () => {
    assert.throws(() => allocateRewards(shares(1), -1n, 1n), RewardsError);
    assert.throws(() => allocateRewards(shares(1), 1n, -1n), RewardsError);
    assert.throws(() => allocateRewards([{ key: 'a', points: 0.5 as unknown as bigint }], 1n, 1n), /must be a bigint/);
    assert.throws(() => allocateRewards(shares(-1), 1n, 1n), RewardsError);
    assert.throws(() => allocateRewards([{ key: 'a', points: 1n }, { key: 'a', points: 2n }], 1n, 1n), /twice/);
  });
});
