import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { encodeAbiParameters, getAddress, keccak256, type Address } from 'viem';
import {
  EMPTY_REWARDS_ROOT,
  RewardsError,
  accumulateRewards,
  buildRewardsTree,
  rewardProof,
  rewardsRoot,
  verifyRewardProof,
  type CumulativeRewards,
} from '../../../core/rewards/index.ts';

const alice: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const bob: Address = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const carol: Address = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';

describe('accumulateRewards', () => {
  it('adds rewards, counted samples and one round per contributing owner', () => {
    const first = accumulateRewards(new Map(), [
      { owner: alice, reward: 10n, samples: 100, counted: true },
      { owner: alice.toLowerCase() as Address, reward: 5n, samples: 50, counted: true },
      { owner: bob, reward: 0n, samples: 70, counted: false },
    ]);
    assert.deepEqual(first.get(alice), { reward: 15n, samples: 150n, rounds: 1n });
    assert.deepEqual(first.get(bob), { reward: 0n, samples: 0n, rounds: 0n });
    const second = accumulateRewards(first, [{ owner: bob, reward: 7n, samples: 30n, counted: true }]);
    assert.deepEqual(second.get(alice), { reward: 15n, samples: 150n, rounds: 1n });
    assert.deepEqual(second.get(bob), { reward: 7n, samples: 30n, rounds: 1n });
    assert.notEqual(second, first);
    assert.deepEqual(first.get(bob), { reward: 0n, samples: 0n, rounds: 0n }, 'the previous figures are left as they were');
  });

  it('refuses bad owners and negative amounts', () => {
    assert.throws(() => accumulateRewards(new Map(), [{ owner: '0x1234' as Address, reward: 1n, samples: 1, counted: true }]), RewardsError);
    assert.throws(() => accumulateRewards(new Map(), [{ owner: alice, reward: -1n, samples: 1, counted: true }]), RewardsError);
  });
});

describe('rewards tree', () => {
  const cumulative: CumulativeRewards = new Map([
    [bob, { reward: 7n, samples: 30n, rounds: 1n }],
    [alice, { reward: 10n ** 21n, samples: 150n, rounds: 3n }],
    [carol, { reward: 1n, samples: 1n, rounds: 1n }],
  ]);

  it('hashes leaves the way RewardVault does: keccak(keccak(abi.encode(owner, reward, samples, rounds)))', () => {
    const tree = buildRewardsTree(cumulative)!;
    const proof = rewardProof(tree, alice.toLowerCase())!;
    assert.deepEqual(
      { ...proof, proof: undefined },
      { owner: alice, cumulativeReward: 10n ** 21n, cumulativeSamples: 150n, cumulativeRounds: 3n, proof: undefined },
    );
    const encoded = encodeAbiParameters(
      [{ type: 'address' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }],
      [alice, 10n ** 21n, 150n, 3n],
    );
    const leaf = keccak256(keccak256(encoded));
    // Walk the proof as OpenZeppelin's MerkleProof does (sorted pairs).
    let node = leaf;
    for (const sibling of proof.proof) {
      const [a, b] = node.toLowerCase() < sibling.toLowerCase() ? [node, sibling] : [sibling, node];
      node = keccak256(`0x${a.slice(2)}${b.slice(2)}`);
    }
    assert.equal(node, tree.root);
    assert.equal(verifyRewardProof(tree.root as `0x${string}`, proof), true);
    assert.equal(verifyRewardProof(tree.root as `0x${string}`, { ...proof, cumulativeReward: proof.cumulativeReward + 1n }), false);
  });

  it('has the same root whatever the insertion order, and survives dump/load as JSON', () => {
    const reversed: CumulativeRewards = new Map([...cumulative].reverse());
    assert.equal(rewardsRoot(reversed), rewardsRoot(cumulative));
    const tree = buildRewardsTree(cumulative)!;
    const loaded = StandardMerkleTree.load(JSON.parse(JSON.stringify(tree.dump())));
    assert.equal(loaded.root, tree.root);
  });

  it('has a zero root and no proofs without owners; no proof for an unknown owner', () => {
    assert.equal(buildRewardsTree(new Map()), null);
    assert.equal(rewardsRoot(new Map()), EMPTY_REWARDS_ROOT);
    assert.equal(rewardProof(buildRewardsTree(cumulative)!, getAddress('0x' + '11'.repeat(20))), null);
    assert.throws(() => rewardProof(buildRewardsTree(cumulative)!, 'nobody'), RewardsError);
  });
});
