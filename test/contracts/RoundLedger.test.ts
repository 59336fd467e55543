import assert from 'node:assert/strict';
import { parseEther, zeroAddress } from 'viem';
import { deployGradnet, GENESIS, hash, MAX_REWARD_BUDGET, networkHelpers, ROLES, roundRecord, viem, ZERO_HASH } from './fixture.ts';

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
    await viem.assertions.revertWithCustomErrorWithArgs(viem.deployContract('RoundLedger', [zeroAddress, GENESIS, 1n]), ledger, 'ZeroAddress', ['admin']);
    await viem.assertions.revertWithCustomError(viem.deployContract('RoundLedger', [admin.account.address, ZERO_HASH, 1n]), ledger, 'ZeroGenesisHash');
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

  it('is for COORDINATOR_ROLE only, which the admin grants and revokes', async () => {
    const { ledger, admin, outsider, coordinator } = await networkHelpers.loadFixture(deployGradnet);
    await viem.assertions.revertWithCustomErrorWithArgs(
      ledger.write.commitRound([roundRecord(1, GENESIS)], { account: outsider.account }),
      ledger,
      'AccessControlUnauthorizedAccount',
      [outsider.account.address, ROLES.coordinator],
    );
    await viem.assertions.revertWithCustomErrorWithArgs(
      ledger.write.commitRound([roundRecord(1, GENESIS)], { account: admin.account }),
      ledger,
      'AccessControlUnauthorizedAccount',
      [admin.account.address, ROLES.coordinator],
    );
    await ledger.write.revokeRole([ROLES.coordinator, coordinator.account.address], { account: admin.account });
    await viem.assertions.revertWithCustomErrorWithArgs(
      ledger.write.commitRound([roundRecord(1, GENESIS)], { account: coordinator.account }),
      ledger,
      'AccessControlUnauthorizedAccount',
      [coordinator.account.address, ROLES.coordinator],
    );
    await ledger.write.grantRole([ROLES.coordinator, outsider.account.address], { account: admin.account });
    await ledger.write.commitRound([roundRecord(1, GENESIS)], { account: outsider.account });
    await viem.assertions.revertWithCustomErrorWithArgs(
      ledger.write.grantRole([ROLES.coordinator, outsider.account.address], { account: outsider.account }),
      ledger,
      'AccessControlUnauthorizedAccount',
      [outsider.account.address, ROLES.admin],
    );
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

  it('refuses a running budget total beyond 128 bits', async () => {
    const { ledger, admin } = await networkHelpers.loadFixture(deployGradnet);
    const max = 2n ** 128n - 1n;
    const wide = await viem.deployContract('RoundLedger', [admin.account.address, GENESIS, max]);
    await wide.write.grantRole([ROLES.coordinator, admin.account.address]);
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
