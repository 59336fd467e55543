import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getAddress, keccak256, toHex, type Hex } from 'viem';
import { applyRound, AuditConfigError, checkpointScoring, SCORING_EVALUATORS, scoringLoss, settleRound, validationFingerprint, type RoundScoring, type SettleUpdate } from '../../../core/audit/index.ts';
import { accumulateRewards, rewardsRoot } from '../../../core/rewards/index.ts';
import { createCheckpoint } from '../../../core/tensor/index.ts';

const length = 12;
const params = Float32Array.from({ length }, (_, k) => Math.cos(k));
/** A deterministic loss: the squared distance to a target, so each delta's score is known in advance. */
const target = Float32Array.from({ length }, (_, k) => Math.cos(k) + 0.1 * Math.sin(k + 1));
const evaluateLoss = async (candidate: Float32Array): Promise<number> => candidate.reduce((sum, value, k) => sum + (value - target[k]) ** 2, 0);

const owner = (n: number): Hex => `0x${String(n).repeat(40)}` as Hex;
function update(n: number, ownerOf: Hex | null, scale: number): SettleUpdate {
  return {
    nodeKey: `0x${String(n).padStart(40, 'a')}` as Hex,
    owner: ownerOf,
    digest: keccak256(toHex(`update ${n}`)),
    payloadDigest: keccak256(toHex(`payload ${n}`)),
    // Towards the target on its own quarter of the coordinates: all score above 0, none copies or echoes the others.
    delta: Float32Array.from({ length }, (_, k) => (k % 4 === n % 4 ? (target[k] - params[k]) * scale : 0)),
    samples: 100 * n,
    arrival: n,
  };
}

describe('settleRound', () => {
  it('folds one row per owner (an owner\'s keys together, keyless updates unpaid), adds them to the previous figures and commits the root', async () => {
    const previous = accumulateRewards(new Map(), [{ owner: owner(9), reward: 5n, samples: 10, counted: true }]);
    const updates = [update(1, owner(1), 1), update(2, owner(2), 0.5), update(3, owner(1), 0.8), update(4, null, 0.9)];
    const settled = await settleRound({ params, updates, setAside: [], evaluateLoss, budgetWei: 1000n, capShare: 1, previous });
    assert.deepEqual(settled.payout.scores.map((score) => score.verdict), ['scored', 'scored', 'scored', 'scored']);
    assert.ok(settled.payout.scores.every((score) => score.score > 0));
    assert.deepEqual(settled.rewards.map((row) => row.owner), [owner(1), owner(2)]);
    const first = settled.rewards[0];
    assert.equal(first.amount, settled.payout.rewards[0] + settled.payout.rewards[2]);
    assert.equal(first.samples, 100 + 300);
    assert.equal(settled.payout.rewards[3], 0n, 'no owner, no pay');
    assert.equal(settled.rewardBudget, settled.rewards.reduce((sum, row) => sum + row.amount, 0n));
    const expected = accumulateRewards(previous, settled.rewards.map((row) => ({ owner: row.owner, reward: row.amount, samples: row.samples, counted: row.counted })));
    assert.equal(settled.rewardsRoot, rewardsRoot(expected));
    assert.equal(settled.cumulative.get(getAddress(owner(9)))?.reward, 5n, 'earlier owners stay in the tree');
    // Same inputs, same root: what an auditor relies on.
    const again = await settleRound({ params, updates, setAside: [], evaluateLoss, budgetWei: 1000n, capShare: 1, previous });
    assert.equal(again.rewardsRoot, settled.rewardsRoot);
    const otherCap = await settleRound({ params, updates, setAside: [], evaluateLoss, budgetWei: 1000n, capShare: 0.3, previous });
    assert.notEqual(otherCap.rewardsRoot, settled.rewardsRoot, 'the cap changes the split');
  });
});

describe('round scoring in checkpoint meta', () => {
  const scoring: RoundScoring = { scoreBatch: 3, budgetWei: 10n ** 20n, capShare: 0.5, validation: keccak256(toHex('batch')), evaluator: 'reference-v1' };
  const layout = [{ name: 'w', shape: [length] }];

  it('is recorded under the model hash and read back exactly', () => {
    const parent = createCheckpoint({ layout, params, meta: { round: 0, model: { name: 'mlp', hidden: 1 } as never } });
    const updates = [{ digest: keccak256(toHex('u')), delta: new Float32Array(length).fill(0.01), samples: 1 }];
    const recorded = applyRound({ parent, round: 1, updates, aggregation: {}, scoring }).checkpoint;
    assert.deepEqual(checkpointScoring(recorded.meta), scoring);
    const other = applyRound({ parent, round: 1, updates, aggregation: {}, scoring: { ...scoring, capShare: 1 } }).checkpoint;
    assert.notEqual(other.modelHash, recorded.modelHash);
    assert.equal(checkpointScoring(applyRound({ parent, round: 1, updates, aggregation: {} }).checkpoint.meta), undefined);
    assert.throws(() => checkpointScoring({ scoring: { ...recorded.meta.scoring as object, capShare: 2 } }), AuditConfigError);
    assert.throws(() => checkpointScoring({ scoring: { ...recorded.meta.scoring as object, backend: 'wasm' } }), /exactly one of evaluator/);
  });

  it('reads a round scored before evaluators had ids (it recorded a tfjs backend) as evaluator tfjs/<backend>, and replays its model hash', () => {
    const parent = createCheckpoint({ layout, params, meta: { round: 0, model: { name: 'mlp', hidden: 1 } as never } });
    const updates = [{ digest: keccak256(toHex('u')), delta: new Float32Array(length).fill(0.01), samples: 1 }];
    const current = applyRound({ parent, round: 1, updates, aggregation: {}, scoring }).checkpoint;
    const legacyMeta: Record<string, unknown> = { ...(current.meta.scoring as Record<string, unknown>), backend: 'wasm' };
    delete legacyMeta.evaluator;
    const legacy = createCheckpoint({ layout, params: current.params, momentum: current.momentum, meta: { ...current.meta, scoring: legacyMeta } });
    const read = checkpointScoring(legacy.meta)!;
    assert.equal(read.evaluator, 'tfjs/wasm');
    assert.ok(!SCORING_EVALUATORS.includes(read.evaluator), 'no build implements a backend-dependent evaluator');
    assert.equal(applyRound({ parent, round: 1, updates, aggregation: {}, scoring: read }).checkpoint.modelHash, legacy.modelHash, 'written back as recorded');
    assert.throws(() => scoringLoss(read, 'mlp', { images: new Uint8Array(784), labels: new Uint8Array(1), size: 1 }), /evaluator "tfjs\/wasm"; this build implements reference-v1: upgrade gradnet/);
  });

  it('names the scoring batch by its bytes', () => {
    const data = { images: Uint8Array.from({ length: 4 * 784 }, (_, i) => i % 251), labels: Uint8Array.from([1, 2, 3, 4]), size: 4 };
    assert.equal(validationFingerprint(data, 3), validationFingerprint({ ...data, images: data.images.slice(), labels: Uint8Array.from([1, 2, 3, 9]) }, 3), 'the fourth example is not in a batch of 3');
    assert.notEqual(validationFingerprint(data, 3), validationFingerprint(data, 4));
    const flipped = data.images.slice();
    flipped[5] ^= 1;
    assert.notEqual(validationFingerprint(data, 3), validationFingerprint({ ...data, images: flipped }, 3));
  });

  it('takes the bytes per example from the data, whatever the input shape (32×32×3 here)', () => {
    const bytes = 32 * 32 * 3;
    const data = { images: Uint8Array.from({ length: 4 * bytes }, (_, i) => i % 253), labels: Uint8Array.from([1, 2, 3, 4]), size: 4 };
    const changedInThird = data.images.slice();
    changedInThird[2 * bytes + bytes - 1] ^= 1;
    assert.notEqual(validationFingerprint(data, 3), validationFingerprint({ ...data, images: changedInThird }, 3), 'the last byte of the third example counts');
    const changedInFourth = data.images.slice();
    changedInFourth[3 * bytes] ^= 1;
    assert.equal(validationFingerprint(data, 3), validationFingerprint({ ...data, images: changedInFourth }, 3));
  });
});
