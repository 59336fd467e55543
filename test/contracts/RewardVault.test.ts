import assert from 'node:assert/strict';
import hre from 'hardhat';
import { keccak256, parseEther, toHex, zeroAddress, type Address } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { CHALLENGE_WINDOW, commitRounds, deployGradnet, finalize, hash, networkHelpers, nodeKey, proofFor, registerNode, roundRecord, rewardsTree, VAULT_FUNDING, viem, type Gradnet, type RewardLeaf } from './fixture.ts';

/** Two final rounds of cumulative trees: alice earns 10 then 25 GRAD, bob 5 then 5. */
async function roundsFixture() {
  const g = await deployGradnet();
  const alice = g.alice.account.address;
  const bob = g.bob.account.address;
  const round1 = rewardsTree([
    [alice, parseEther('10'), 600n, 1n],
    [bob, parseEther('5'), 300n, 1n],
  ]);
  const round2 = rewardsTree([
    [alice, parseEther('25'), 1_200n, 2n],
    [bob, parseEther('5'), 300n, 1n],
    [g.carol.account.address, parseEther('1'), 100n, 1n],
  ]);
  await commitRounds(g, [round1, round2]);
  await finalize();
  return { ...g, round1, round2 };
}

function claimArgs(roundId: bigint, { leaf, proof }: { leaf: RewardLeaf; proof: `0x${string}`[] }) {
  return [roundId, leaf[0], leaf[1], leaf[2], leaf[3], proof] as const;
}

async function balance(g: Gradnet, who: `0x${string}`): Promise<bigint> {
  return g.token.read.balanceOf([who]);
}

// Coverage runs instrumented bytecode, whose gas means nothing.
const itMeasuresGas = hre.globalOptions.coverage === true ? it.skip : it;

/** A 1000-leaf cumulative tree (10-element proofs) where each of `owners` holds `reward`. */
function thousandLeafTree(owners: Address[], reward: bigint, round: bigint) {
  const others = Array.from({ length: 1000 - owners.length }, (_, i): RewardLeaf => [privateKeyToAccount(keccak256(toHex(`vault gas owner ${i}`))).address, 1n, 1n, round]);
  return rewardsTree([...owners.map((owner): RewardLeaf => [owner, reward, 600n * round, round]), ...others]);
}

describe('RewardVault', () => {
  it('refuses zero constructor addresses', async () => {
    const { vault, token } = await networkHelpers.loadFixture(deployGradnet);
    await viem.assertions.revertWithCustomErrorWithArgs(viem.deployContract('RewardVault', [zeroAddress, token.address]), vault, 'ZeroAddress', ['token']);
    await viem.assertions.revertWithCustomErrorWithArgs(viem.deployContract('RewardVault', [token.address, zeroAddress]), vault, 'ZeroAddress', ['ledger']);
  });

  it('pays the owner the cumulative reward and records samples and rounds', async () => {
    const g = await networkHelpers.loadFixture(roundsFixture);
    const alice = g.alice.account.address;
    const before = await balance(g, alice);
    await viem.assertions.emitWithArgs(
      g.vault.write.claim(claimArgs(1n, proofFor(g.round1, alice)), { account: g.alice.account }),
      g.vault,
      'RewardClaimed',
      [alice, 1n, parseEther('10'), parseEther('10'), 600n, 1n],
    );
    assert.equal(await balance(g, alice), before + parseEther('10'));
    assert.equal(await balance(g, g.vault.address), VAULT_FUNDING - parseEther('10'));
    assert.deepEqual(await g.vault.read.claimed([alice]), { reward: parseEther('10'), samples: 600n, rounds: 1n });
    assert.equal((await g.vault.read.ledger()).toLowerCase(), g.ledger.address.toLowerCase());
    assert.equal((await g.vault.read.token()).toLowerCase(), g.token.address.toLowerCase());
  });

  it('lets a third party submit a claim but pays only the owner', async () => {
    const g = await networkHelpers.loadFixture(roundsFixture);
    const alice = g.alice.account.address;
    const outsider = g.outsider.account.address;
    const [aliceBefore, outsiderBefore] = [await balance(g, alice), await balance(g, outsider)];
    await g.vault.write.claim(claimArgs(2n, proofFor(g.round2, alice)), { account: g.outsider.account });
    assert.equal(await balance(g, alice), aliceBefore + parseEther('25'));
    assert.equal(await balance(g, outsider), outsiderBefore);
  });

  it('pays only the difference under a newer root and refuses double claims and older roots', async () => {
    const g = await networkHelpers.loadFixture(roundsFixture);
    const alice = g.alice.account.address;
    const before = await balance(g, alice);
    await g.vault.write.claim(claimArgs(1n, proofFor(g.round1, alice)));
    await viem.assertions.revertWithCustomErrorWithArgs(g.vault.write.claim(claimArgs(1n, proofFor(g.round1, alice))), g.vault, 'NothingToClaim', [alice, 1n]);
    await viem.assertions.emitWithArgs(g.vault.write.claim(claimArgs(2n, proofFor(g.round2, alice))), g.vault, 'RewardClaimed', [alice, 2n, parseEther('15'), parseEther('25'), 1_200n, 2n]);
    assert.equal(await balance(g, alice), before + parseEther('25'));
    await viem.assertions.revertWithCustomErrorWithArgs(g.vault.write.claim(claimArgs(2n, proofFor(g.round2, alice))), g.vault, 'NothingToClaim', [alice, 2n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      g.vault.write.claim(claimArgs(1n, proofFor(g.round1, alice))),
      g.vault,
      'RewardBelowClaimed',
      [alice, parseEther('10'), parseEther('25')],
    );
    // Bob's figures did not change between the rounds: once claimed, the newer root has nothing new.
    const bob = g.bob.account.address;
    await g.vault.write.claim(claimArgs(1n, proofFor(g.round1, bob)));
    await viem.assertions.revertWithCustomErrorWithArgs(g.vault.write.claim(claimArgs(2n, proofFor(g.round2, bob))), g.vault, 'NothingToClaim', [bob, 2n]);
  });

  it('refuses bad proofs: tampered figures, another owner, another round, an uncommitted round', async () => {
    const g = await networkHelpers.loadFixture(roundsFixture);
    const alice = g.alice.account.address;
    const { leaf, proof } = proofFor(g.round1, alice);
    await viem.assertions.revertWithCustomErrorWithArgs(
      g.vault.write.claim([1n, alice, leaf[1] + 1n, leaf[2], leaf[3], proof]),
      g.vault,
      'InvalidProof',
      [1n, alice],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      g.vault.write.claim([1n, g.bob.account.address, leaf[1], leaf[2], leaf[3], proof]),
      g.vault,
      'InvalidProof',
      [1n, g.bob.account.address],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(g.vault.write.claim(claimArgs(2n, { leaf, proof })), g.vault, 'InvalidProof', [2n, alice]);
    await viem.assertions.revertWithCustomErrorWithArgs(g.vault.write.claim(claimArgs(3n, { leaf, proof })), g.vault, 'NoRewardsRoot', [3n]);
    await viem.assertions.revertWithCustomErrorWithArgs(g.vault.write.claim(claimArgs(0n, { leaf, proof })), g.vault, 'NoRewardsRoot', [0n]);
  });

  it('records new contribution figures even when the reward did not grow, and never lets them decrease', async () => {
    const g = await networkHelpers.loadFixture(deployGradnet);
    const alice = g.alice.account.address;
    const trees = [
      rewardsTree([[alice, parseEther('3'), 100n, 1n], [g.bob.account.address, 1n, 1n, 1n]]),
      rewardsTree([[alice, parseEther('3'), 250n, 2n], [g.bob.account.address, 1n, 1n, 1n]]),
      // A faulty coordinator tree that lowers alice's samples.
      rewardsTree([[alice, parseEther('4'), 200n, 3n], [g.bob.account.address, 1n, 1n, 1n]]),
    ];
    await commitRounds(g, trees);
    await finalize();
    await g.vault.write.claim(claimArgs(1n, proofFor(trees[0], alice)));
    await viem.assertions.emitWithArgs(g.vault.write.claim(claimArgs(2n, proofFor(trees[1], alice))), g.vault, 'RewardClaimed', [alice, 2n, 0n, parseEther('3'), 250n, 2n]);
    assert.deepEqual(await g.vault.read.claimed([alice]), { reward: parseEther('3'), samples: 250n, rounds: 2n });
    await viem.assertions.revertWithCustomErrorWithArgs(
      g.vault.write.claim(claimArgs(3n, proofFor(trees[2], alice))),
      g.vault,
      'ContributionBelowRecorded',
      [alice, 200n, 250n, 3n, 2n],
    );
  });

  itMeasuresGas('costs at most 80,000 gas for a registered owner\'s first claim (its registration opened the account); an owner that never registered pays ~17k more to create it', async () => {
    const g = await networkHelpers.loadFixture(deployGradnet);
    const [alice, dave] = [g.alice.account.address, g.dave.account.address];
    await registerNode(g, g.alice, nodeKey('vault gas node a'));
    const trees = [thousandLeafTree([alice, dave], parseEther('10'), 1n), thousandLeafTree([alice, dave], parseEther('20'), 2n)];
    await commitRounds(g, trees);
    await finalize();
    const gasOf = async (roundId: bigint, tree: (typeof trees)[number], owner: Address): Promise<bigint> => {
      const hash = await g.vault.write.claim(claimArgs(roundId, proofFor(tree, owner)), { account: g.outsider.account });
      return (await g.publicClient.getTransactionReceipt({ hash })).gasUsed;
    };
    // Both wallets hold GRAD already (the fixture funds them): the recipient's balance slot is rewritten, not created.
    const [first, repeat, unregistered] = [await gasOf(1n, trees[0], alice), await gasOf(2n, trees[1], alice), await gasOf(1n, trees[0], dave)];
    assert.ok(first <= 80_000n, `a registered owner's first claim used ${first} gas`);
    assert.ok(repeat <= 80_000n, `a repeat claim used ${repeat} gas`);
    assert.ok(unregistered > first + 15_000n && unregistered <= 87_000n, `a never-registered owner's first claim used ${unregistered} gas (registered: ${first})`);
  });

  it('opens an account for anyone, changing no figure: claims after it pay exactly as before', async () => {
    const g = await networkHelpers.loadFixture(roundsFixture);
    const [alice, carol] = [g.alice.account.address, g.carol.account.address];
    // A stranger opens an account that was never claimed for, twice: nothing is recorded or paid.
    const before = await balance(g, carol);
    await g.vault.write.openAccount([carol], { account: g.outsider.account });
    await g.vault.write.openAccount([carol], { account: g.outsider.account });
    assert.deepEqual(await g.vault.read.claimed([carol]), { reward: 0n, samples: 0n, rounds: 0n });
    assert.equal(await balance(g, carol), before);
    await viem.assertions.emitWithArgs(g.vault.write.claim(claimArgs(2n, proofFor(g.round2, carol))), g.vault, 'RewardClaimed', [carol, 2n, parseEther('1'), parseEther('1'), 100n, 1n]);
    // Opening an account already claimed for leaves its figures: the next root pays only the difference.
    await g.vault.write.claim(claimArgs(1n, proofFor(g.round1, alice)));
    await g.vault.write.openAccount([alice], { account: g.outsider.account });
    assert.deepEqual(await g.vault.read.claimed([alice]), { reward: parseEther('10'), samples: 600n, rounds: 1n });
    await viem.assertions.emitWithArgs(g.vault.write.claim(claimArgs(2n, proofFor(g.round2, alice))), g.vault, 'RewardClaimed', [alice, 2n, parseEther('15'), parseEther('25'), 1_200n, 2n]);
    await viem.assertions.revertWithCustomErrorWithArgs(g.vault.write.claim(claimArgs(1n, proofFor(g.round1, alice))), g.vault, 'RewardBelowClaimed', [alice, parseEther('10'), parseEther('25')]);
    assert.equal(await g.vault.read.totalPaid(), parseEther('26'));
  });

  it('pays only under final rounds: not while the challenge window runs', async () => {
    const g = await networkHelpers.loadFixture(deployGradnet);
    const alice = g.alice.account.address;
    const tree = rewardsTree([[alice, parseEther('10'), 1n, 1n], [g.bob.account.address, 1n, 1n, 1n]]);
    await commitRounds(g, [tree]);
    await viem.assertions.revertWithCustomErrorWithArgs(g.vault.write.claim(claimArgs(1n, proofFor(tree, alice))), g.vault, 'RoundNotFinal', [1n]);
    await networkHelpers.time.increase(CHALLENGE_WINDOW - 5n);
    await viem.assertions.revertWithCustomErrorWithArgs(g.vault.write.claim(claimArgs(1n, proofFor(tree, alice))), g.vault, 'RoundNotFinal', [1n]);
    await networkHelpers.time.increase(5n);
    await g.vault.write.claim(claimArgs(1n, proofFor(tree, alice)));
    assert.equal(await g.vault.read.totalPaid(), parseEther('10'));
  });

  it('never pays beyond the cumulative budget of the final rounds: a root that over-promises pays at most the budgets', async () => {
    const g = await networkHelpers.loadFixture(deployGradnet);
    const [alice, bob] = [g.alice.account.address, g.bob.account.address];
    // The coordinator declares 100 GRAD but its tree promises 80 to each of alice and bob.
    const tree = rewardsTree([[alice, parseEther('80'), 1n, 1n], [bob, parseEther('80'), 1n, 1n]]);
    await g.ledger.write.commitRound([roundRecord(1, await g.ledger.read.latestModelHash(), { rewardsRoot: tree.root as `0x${string}`, rewardBudget: parseEther('100') })], { account: g.coordinator.account });
    // Round 2 is still pending: its budget does not count yet.
    await finalize();
    await g.ledger.write.commitRound([roundRecord(2, hash('model 1'), { rewardsRoot: tree.root as `0x${string}`, rewardBudget: parseEther('100') })], { account: g.coordinator.account });
    await g.vault.write.claim(claimArgs(1n, proofFor(tree, alice)));
    await viem.assertions.revertWithCustomErrorWithArgs(
      g.vault.write.claim(claimArgs(1n, proofFor(tree, bob))),
      g.vault,
      'ClaimExceedsBudget',
      [1n, parseEther('160'), parseEther('100')],
    );
    await finalize();
    await g.vault.write.claim(claimArgs(2n, proofFor(tree, bob)));
    assert.equal(await g.vault.read.totalPaid(), parseEther('160'));
    assert.equal(await g.token.read.balanceOf([g.vault.address]), VAULT_FUNDING - parseEther('160'));
  });
});
