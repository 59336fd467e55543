import assert from 'node:assert/strict';
import { encodeFunctionData, getAddress, getContract, parseEther, zeroAddress } from 'viem';
import { roundLedgerAbi } from '../../core/chain/index.ts';
import { CHALLENGE_WINDOW, deployGradnet, finalize, GENESIS, govern, hash, MAX_REWARD_BUDGET, networkHelpers, ROLES, roundRecord, viem, ZERO_HASH, type Gradnet } from './fixture.ts';

/** A ledger of its own whose admin is `admin` and whose "challenges contract" is the `voider` wallet. */
async function bareLedger(g: Gradnet, window = CHALLENGE_WINDOW) {
  const deployed = await viem.deployContract('RoundLedger', [g.admin.account.address, GENESIS, MAX_REWARD_BUDGET, window]);
  // Typed through the committed ABI, as the fixture's contracts are.
  const ledger = getContract({ address: deployed.address, abi: roundLedgerAbi, client: { public: g.publicClient, wallet: g.admin } });
  await ledger.write.setCoordinator([g.coordinator.account.address]);
  await ledger.write.bindChallenges([g.outsider.account.address]);
  return ledger;
}

describe('RoundLedger', () => {
  it('starts at the genesis model (round 0)', async () => {
    const { ledger, coordinator, publicClient } = await networkHelpers.loadFixture(deployGradnet);
    assert.equal(await ledger.read.roundCount(), 0n);
    assert.equal(await ledger.read.latestModelHash(), GENESIS);
    assert.equal(await ledger.read.genesisModelHash(), GENESIS);
    assert.deepEqual(await ledger.read.getRound([0n]), { modelHash: GENESIS, parentHash: ZERO_HASH, rewardsRoot: ZERO_HASH });
    assert.equal(await ledger.read.maxRewardBudget(), MAX_REWARD_BUDGET);
    assert.equal(await ledger.read.totalRewardBudget(), 0n);
    assert.ok((await ledger.read.deployedAtBlock()) > 0n && (await ledger.read.deployedAtBlock()) <= (await publicClient.getBlockNumber()));
    assert.equal(await ledger.read.hasRole([ROLES.coordinator, coordinator.account.address]), true);
  });

  it('refuses a zero admin or genesis', async () => {
    const { ledger, admin } = await networkHelpers.loadFixture(deployGradnet);
    await viem.assertions.revertWithCustomErrorWithArgs(viem.deployContract('RoundLedger', [zeroAddress, GENESIS, 1n, 1n]), ledger, 'ZeroAddress', ['admin']);
    await viem.assertions.revertWithCustomError(viem.deployContract('RoundLedger', [admin.account.address, ZERO_HASH, 1n, 1n]), ledger, 'ZeroGenesisHash');
  });

  it('commits a round: stores the hashes, emits every field, chains the next round on it', async () => {
    const { ledger, coordinator, publicClient } = await networkHelpers.loadFixture(deployGradnet);
    const first = roundRecord(1, GENESIS);
    const tx = await ledger.write.commitRound([first], { account: coordinator.account });
    const receipt = await publicClient.getTransactionReceipt({ hash: tx });
    const { timestamp } = await publicClient.getBlock({ blockNumber: receipt.blockNumber });
    const [event] = await ledger.getEvents.RoundCommitted({}, { fromBlock: receipt.blockNumber, toBlock: receipt.blockNumber });
    assert.deepEqual(event.args, { ...first, committedAt: timestamp });
    assert.equal(await ledger.read.roundCount(), 1n);
    assert.equal(await ledger.read.latestModelHash(), first.modelHash);
    assert.deepEqual(await ledger.read.getRound([1n]), { modelHash: first.modelHash, parentHash: GENESIS, rewardsRoot: first.rewardsRoot });
    assert.equal(await ledger.read.rewardsRootOf([1n]), first.rewardsRoot);
    assert.equal(await ledger.read.rewardsRootOf([2n]), ZERO_HASH);

    const second = roundRecord(2, first.modelHash, { rewardBudget: MAX_REWARD_BUDGET, accuracy: 1_000_000, contributors: 0 });
    await viem.assertions.emit(ledger.write.commitRound([second], { account: coordinator.account }), ledger, 'RoundCommitted');
    assert.deepEqual(await ledger.read.getRound([2n]), { modelHash: second.modelHash, parentHash: first.modelHash, rewardsRoot: second.rewardsRoot });
    assert.equal(await ledger.read.totalRewardBudget(), first.rewardBudget + MAX_REWARD_BUDGET);
  });

  it('is for COORDINATOR_ROLE only, which has one holder that only the timelock moves (revoking the old one)', async () => {
    const g = await networkHelpers.loadFixture(deployGradnet);
    const { ledger, admin, outsider, coordinator, timelock } = g;
    assert.equal(await ledger.read.coordinator(), getAddress(coordinator.account.address));
    assert.equal(await ledger.read.hasRole([ROLES.admin, timelock.address]), true);
    assert.equal(await ledger.read.hasRole([ROLES.admin, admin.account.address]), false);
    for (const who of [outsider, admin]) {
      await viem.assertions.revertWithCustomErrorWithArgs(
        ledger.write.commitRound([roundRecord(1, GENESIS)], { account: who.account }),
        ledger,
        'AccessControlUnauthorizedAccount',
        [who.account.address, ROLES.coordinator],
      );
    }
    const first = roundRecord(1, GENESIS);
    await ledger.write.commitRound([first], { account: coordinator.account });
    const move = encodeFunctionData({ abi: ledger.abi, functionName: 'setCoordinator', args: [outsider.account.address] });
    await viem.assertions.emitWithArgs(govern(g, ledger.address, move), ledger, 'CoordinatorChanged', [getAddress(coordinator.account.address), getAddress(outsider.account.address), 2n]);
    assert.equal(await ledger.read.hasRole([ROLES.coordinator, coordinator.account.address]), false);
    assert.equal(await ledger.read.coordinator(), getAddress(outsider.account.address));
    await viem.assertions.revertWithCustomErrorWithArgs(
      ledger.write.commitRound([roundRecord(2, first.modelHash)], { account: coordinator.account }),
      ledger,
      'AccessControlUnauthorizedAccount',
      [coordinator.account.address, ROLES.coordinator],
    );
    await ledger.write.commitRound([roundRecord(2, first.modelHash)], { account: outsider.account });
    // Each coordinator's bond answers for its own rounds.
    assert.equal(await ledger.read.committerOf([1n]), getAddress(coordinator.account.address));
    assert.equal(await ledger.read.committerOf([2n]), getAddress(outsider.account.address));
    // grantRole moves the role the same way; granting it to the holder again changes nothing.
    const grant = encodeFunctionData({ abi: ledger.abi, functionName: 'grantRole', args: [ROLES.coordinator, coordinator.account.address] });
    await govern(g, ledger.address, grant);
    assert.equal(await ledger.read.hasRole([ROLES.coordinator, outsider.account.address]), false);
    await govern(g, ledger.address, grant);
    assert.equal(await ledger.read.coordinator(), getAddress(coordinator.account.address));
    // Revoking leaves the ledger without a coordinator until the timelock names one.
    await govern(g, ledger.address, encodeFunctionData({ abi: ledger.abi, functionName: 'revokeRole', args: [ROLES.coordinator, coordinator.account.address] }));
    assert.equal(await ledger.read.coordinator(), zeroAddress);
    assert.equal(await ledger.read.committerOf([2n]), getAddress(coordinator.account.address));
    await viem.assertions.revertWithCustomErrorWithArgs(
      govern(g, ledger.address, encodeFunctionData({ abi: ledger.abi, functionName: 'setCoordinator', args: [zeroAddress] })),
      ledger,
      'ZeroAddress',
      ['coordinator'],
    );
    for (const call of [
      ledger.write.setCoordinator([outsider.account.address], { account: admin.account }),
      ledger.write.grantRole([ROLES.coordinator, outsider.account.address], { account: coordinator.account }),
      ledger.write.bindChallenges([outsider.account.address], { account: admin.account }),
    ]) {
      await viem.assertions.revertWithCustomError(call, ledger, 'AccessControlUnauthorizedAccount');
    }
  });

  it('binds the challenges contract once, and only it voids rounds', async () => {
    const g = await networkHelpers.loadFixture(deployGradnet);
    const { ledger, challenges, admin, outsider } = g;
    assert.equal(await ledger.read.challenges(), getAddress(challenges.address));
    await viem.assertions.revertWithCustomErrorWithArgs(
      govern(g, ledger.address, encodeFunctionData({ abi: ledger.abi, functionName: 'bindChallenges', args: [outsider.account.address] })),
      ledger,
      'ChallengesAlreadyBound',
      [getAddress(challenges.address)],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(ledger.write.voidRoundsFrom([1n], { account: outsider.account }), ledger, 'NotChallenges', [getAddress(outsider.account.address)]);
    const fresh = await viem.deployContract('RoundLedger', [admin.account.address, GENESIS, 1n, 1n]);
    await viem.assertions.revertWithCustomErrorWithArgs(fresh.write.bindChallenges([zeroAddress]), ledger, 'ZeroAddress', ['challenges']);
    await viem.assertions.emitWithArgs(fresh.write.bindChallenges([outsider.account.address]), fresh, 'ChallengesBound', [getAddress(outsider.account.address)]);
  });

  it('makes a round final once its challenge window has passed', async () => {
    const { ledger, coordinator, publicClient } = await networkHelpers.loadFixture(deployGradnet);
    assert.equal(await ledger.read.challengeWindow(), CHALLENGE_WINDOW);
    assert.equal(await ledger.read.isFinal([0n]), true);
    assert.equal(await ledger.read.isFinal([1n]), false);
    const record = roundRecord(1, GENESIS);
    const tx = await ledger.write.commitRound([record], { account: coordinator.account });
    const { timestamp } = await publicClient.getBlock({ blockNumber: (await publicClient.getTransactionReceipt({ hash: tx })).blockNumber });
    assert.equal(await ledger.read.committedAt([1n]), timestamp);
    assert.equal(await ledger.read.committedAt([0n]), 0n);
    await viem.assertions.revertWithCustomErrorWithArgs(ledger.read.committedAt([2n]), ledger, 'UnknownRound', [2n, 1n]);
    assert.equal(await ledger.read.isFinal([1n]), false);
    assert.deepEqual(await ledger.read.claimTermsOf([1n]), { rewardsRoot: record.rewardsRoot, isFinal: false, finalBudget: 0n });
    await networkHelpers.time.increaseTo(timestamp + CHALLENGE_WINDOW);
    assert.equal(await ledger.read.isFinal([1n]), true);
    assert.equal(await ledger.read.isFinal([2n]), false);
    assert.deepEqual(await ledger.read.claimTermsOf([1n]), { rewardsRoot: record.rewardsRoot, isFinal: true, finalBudget: record.rewardBudget });
  });

  it('voids a pending round and every later one, moving the head back; the coordinator commits on top of it again', async () => {
    const g = await networkHelpers.loadFixture(deployGradnet);
    const ledger = await bareLedger(g);
    const as = { account: g.coordinator.account };
    const r1 = roundRecord(1, GENESIS, { rewardBudget: parseEther('10') });
    await ledger.write.commitRound([r1], as);
    await finalize();
    const r2 = roundRecord(2, r1.modelHash, { rewardBudget: parseEther('20') });
    const r3 = roundRecord(3, r2.modelHash, { rewardBudget: parseEther('30') });
    await ledger.write.commitRound([r2], as);
    await ledger.write.commitRound([r3], as);
    const voider = { account: g.outsider.account };
    await viem.assertions.revertWithCustomErrorWithArgs(ledger.write.voidRoundsFrom([1n], voider), ledger, 'RoundAlreadyFinal', [1n]);
    await viem.assertions.revertWithCustomErrorWithArgs(ledger.write.voidRoundsFrom([4n], voider), ledger, 'UnknownRound', [4n, 3n]);
    await viem.assertions.revertWithCustomErrorWithArgs(ledger.write.voidRoundsFrom([0n], voider), ledger, 'UnknownRound', [0n, 3n]);
    await viem.assertions.emitWithArgs(ledger.write.voidRoundsFrom([2n], voider), ledger, 'RoundsVoided', [2n, 3n, r1.modelHash]);
    assert.equal(await ledger.read.roundCount(), 1n);
    assert.equal(await ledger.read.latestModelHash(), r1.modelHash);
    assert.equal(await ledger.read.totalRewardBudget(), parseEther('10'));
    assert.equal(await ledger.read.rewardsRootOf([2n]), ZERO_HASH);
    await finalize();
    assert.equal(await ledger.read.isFinal([2n]), false, 'a voided round never becomes final');
    assert.equal((await ledger.read.claimTermsOf([3n])).isFinal, false);
    await viem.assertions.revertWithCustomErrorWithArgs(ledger.write.commitRound([roundRecord(2, r2.modelHash)], as), ledger, 'ParentHashMismatch', [2n, r2.modelHash, r1.modelHash]);
    const again = roundRecord(2, r1.modelHash, { modelHash: hash('honest model 2'), rewardBudget: parseEther('5') });
    await ledger.write.commitRound([again], as);
    assert.equal(await ledger.read.totalRewardBudget(), parseEther('15'));
    await finalize();
    assert.deepEqual(await ledger.read.claimTermsOf([2n]), { rewardsRoot: again.rewardsRoot, isFinal: true, finalBudget: parseEther('15') });
  });

  it('refuses non-sequential ids, a wrong parent, a zero model hash, accuracy above 1e6 and an oversized budget', async () => {
    const { ledger, coordinator } = await networkHelpers.loadFixture(deployGradnet);
    const as = { account: coordinator.account };
    await viem.assertions.revertWithCustomErrorWithArgs(ledger.write.commitRound([roundRecord(2, GENESIS)], as), ledger, 'NonSequentialRound', [2n, 1n]);
    await viem.assertions.revertWithCustomErrorWithArgs(ledger.write.commitRound([roundRecord(0, GENESIS)], as), ledger, 'NonSequentialRound', [0n, 1n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      ledger.write.commitRound([roundRecord(1, hash('other'))], as),
      ledger,
      'ParentHashMismatch',
      [1n, hash('other'), GENESIS],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(ledger.write.commitRound([roundRecord(1, GENESIS, { modelHash: ZERO_HASH })], as), ledger, 'ZeroModelHash', [1n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      ledger.write.commitRound([roundRecord(1, GENESIS, { accuracy: 1_000_001 })], as),
      ledger,
      'AccuracyOutOfRange',
      [1n, 1_000_001],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      ledger.write.commitRound([roundRecord(1, GENESIS, { rewardBudget: MAX_REWARD_BUDGET + 1n })], as),
      ledger,
      'RewardBudgetTooLarge',
      [1n, MAX_REWARD_BUDGET + 1n, MAX_REWARD_BUDGET],
    );
    const first = roundRecord(1, GENESIS);
    await ledger.write.commitRound([first], as);
    await viem.assertions.revertWithCustomErrorWithArgs(ledger.write.commitRound([roundRecord(1, GENESIS)], as), ledger, 'NonSequentialRound', [1n, 2n]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      ledger.write.commitRound([roundRecord(2, GENESIS)], as),
      ledger,
      'ParentHashMismatch',
      [2n, GENESIS, first.modelHash],
    );
  });

  it('refuses a running budget total beyond 88 bits', async () => {
    const { ledger, admin } = await networkHelpers.loadFixture(deployGradnet);
    const max = 2n ** 88n - 1n;
    const wide = await viem.deployContract('RoundLedger', [admin.account.address, GENESIS, max, 1n]);
    await wide.write.setCoordinator([admin.account.address]);
    const first = roundRecord(1, GENESIS, { rewardBudget: max });
    await wide.write.commitRound([first]);
    await viem.assertions.revertWithCustomErrorWithArgs(
      wide.write.commitRound([roundRecord(2, first.modelHash, { rewardBudget: 1n })]),
      ledger,
      'TotalRewardBudgetOverflow',
      [2n, max + 1n],
    );
  });

  it('reverts getRound past the latest round', async () => {
    const { ledger } = await networkHelpers.loadFixture(deployGradnet);
    await viem.assertions.revertWithCustomErrorWithArgs(ledger.read.getRound([1n]), ledger, 'UnknownRound', [1n, 0n]);
  });

  it('costs the same gas whatever the number of contributors', async () => {
    const { ledger, coordinator, publicClient } = await networkHelpers.loadFixture(deployGradnet);
    let parent = GENESIS;
    const gas: bigint[] = [];
    for (const [i, contributors] of [1, 1_000, 1_000_000].entries()) {
      const record = roundRecord(i + 1, parent, { contributors, totalSamples: BigInt(contributors) * 600n, rewardBudget: parseEther('1') });
      const tx = await ledger.write.commitRound([record], { account: coordinator.account });
      gas.push((await publicClient.getTransactionReceipt({ hash: tx })).gasUsed);
      parent = record.modelHash;
    }
    const spread = Number(gas.reduce((a, b) => (a > b ? a : b)) - gas.reduce((a, b) => (a < b ? a : b))) / Number(gas[0]);
    assert.ok(spread < 0.02, `commitRound gas varies by ${(spread * 100).toFixed(2)}%: ${gas.join(', ')}`);
    assert.ok(gas.every((g) => g <= 100_000n), `commitRound gas above 100k: ${gas.join(', ')}`);
  });
});
