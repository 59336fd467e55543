import assert from 'node:assert/strict';
import { maxUint256, parseEther, zeroAddress } from 'viem';
import { deployGradnet, hash, MIN_STAKE, networkHelpers, ROLES, UNBONDING_PERIOD, viem } from './fixture.ts';

const key = (label: string) => `0x${hash(label).slice(26)}` as const;
const NODE_A = key('node a');
const NODE_B = key('node b');
const NODE_C = key('node c');

async function registeredFixture() {
  const g = await deployGradnet();
  await g.registry.write.register([NODE_A, MIN_STAKE], { account: g.alice.account });
  return g;
}

describe('NodeRegistry', () => {
  describe('deployment', () => {
    it('stores its parameters and refuses zero addresses', async () => {
      const { registry, token, treasury, admin } = await networkHelpers.loadFixture(deployGradnet);
      assert.equal(await registry.read.minStake(), MIN_STAKE);
      assert.equal(await registry.read.unbondingPeriod(), UNBONDING_PERIOD);
      assert.equal((await registry.read.treasury()).toLowerCase(), treasury.account.address.toLowerCase());
      assert.equal((await registry.read.token()).toLowerCase(), token.address.toLowerCase());
      const a = admin.account.address;
      const t = token.address;
      await viem.assertions.revertWithCustomErrorWithArgs(viem.deployContract('NodeRegistry', [zeroAddress, 1n, 1n, a, a]), registry, 'ZeroAddress', ['token']);
      await viem.assertions.revertWithCustomErrorWithArgs(viem.deployContract('NodeRegistry', [t, 1n, 1n, zeroAddress, a]), registry, 'ZeroAddress', ['treasury']);
      await viem.assertions.revertWithCustomErrorWithArgs(viem.deployContract('NodeRegistry', [t, 1n, 1n, a, zeroAddress]), registry, 'ZeroAddress', ['admin']);
      const tooLong = 365n * 86_400n + 1n;
      await viem.assertions.revertWithCustomErrorWithArgs(viem.deployContract('NodeRegistry', [t, 1n, tooLong, a, a]), registry, 'UnbondingPeriodTooLong', [tooLong]);
    });
  });

  describe('register', () => {
    it('binds the node key to the owner, pulls the stake and makes the node active', async () => {
      const { registry, token, alice } = await networkHelpers.loadFixture(deployGradnet);
      const before = await token.read.balanceOf([alice.account.address]);
      await viem.assertions.emitWithArgs(
        registry.write.register([NODE_A, MIN_STAKE], { account: alice.account }),
        registry,
        'NodeRegistered',
        [alice.account.address, NODE_A, MIN_STAKE],
      );
      assert.equal(await token.read.balanceOf([alice.account.address]), before - MIN_STAKE);
      assert.equal(await token.read.balanceOf([registry.address]), MIN_STAKE);
      assert.equal(await registry.read.isActive([NODE_A]), true);
      assert.equal((await registry.read.ownerOf([NODE_A])).toLowerCase(), alice.account.address.toLowerCase());
      const info = await registry.read.nodeOf([alice.account.address]);
      assert.deepEqual({ ...info, nodeKey: info.nodeKey.toLowerCase() }, { nodeKey: NODE_A, stake: MIN_STAKE, unbondingEndsAt: 0n, active: true });
      assert.equal(await registry.read.nodeCount(), 1n);
    });

    it('refuses a zero key, a stake below the minimum, a second node and a taken key', async () => {
      const { registry, alice, bob } = await networkHelpers.loadFixture(registeredFixture);
      await viem.assertions.revertWithCustomError(registry.write.register([zeroAddress, MIN_STAKE], { account: bob.account }), registry, 'ZeroNodeKey');
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([NODE_B, MIN_STAKE - 1n], { account: bob.account }),
        registry,
        'StakeBelowMinimum',
        [MIN_STAKE - 1n, MIN_STAKE],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([NODE_B, MIN_STAKE], { account: alice.account }),
        registry,
        'AlreadyRegistered',
        [alice.account.address, NODE_A],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([NODE_A, MIN_STAKE], { account: bob.account }),
        registry,
        'NodeKeyTaken',
        [NODE_A, alice.account.address],
      );
    });

    it('refuses a stake that does not fit 88 bits', async () => {
      const { registry, token, bob } = await networkHelpers.loadFixture(deployGradnet);
      const huge = 2n ** 88n;
      await token.write.mint([bob.account.address, huge]);
      await token.write.approve([registry.address, maxUint256], { account: bob.account });
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.register([NODE_B, huge], { account: bob.account }), registry, 'StakeTooLarge', [huge]);
    });

    it('fails cleanly without an allowance', async () => {
      const { registry, token, outsider } = await networkHelpers.loadFixture(deployGradnet);
      await token.write.mint([outsider.account.address, MIN_STAKE]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([NODE_C, MIN_STAKE], { account: outsider.account }),
        token,
        'ERC20InsufficientAllowance',
        [registry.address, 0n, MIN_STAKE],
      );
    });
  });

  describe('increaseStake', () => {
    it('adds to the stake and re-activates a node below a raised minimum', async () => {
      const { registry, admin, alice } = await networkHelpers.loadFixture(registeredFixture);
      await registry.write.setMinStake([MIN_STAKE * 2n], { account: admin.account });
      assert.equal(await registry.read.isActive([NODE_A]), false);
      await viem.assertions.emitWithArgs(
        registry.write.increaseStake([MIN_STAKE], { account: alice.account }),
        registry,
        'StakeIncreased',
        [alice.account.address, MIN_STAKE, MIN_STAKE * 2n],
      );
      assert.equal(await registry.read.isActive([NODE_A]), true);
    });

    it('refuses zero, unregistered owners and exiting nodes', async () => {
      const { registry, alice, bob } = await networkHelpers.loadFixture(registeredFixture);
      await viem.assertions.revertWithCustomError(registry.write.increaseStake([0n], { account: alice.account }), registry, 'ZeroAmount');
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.increaseStake([1n], { account: bob.account }), registry, 'NotRegistered', [bob.account.address]);
      await registry.write.requestExit({ account: alice.account });
      const { unbondingEndsAt } = await registry.read.nodeOf([alice.account.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.increaseStake([1n], { account: alice.account }),
        registry,
        'NodeExiting',
        [alice.account.address, unbondingEndsAt],
      );
    });
  });

  describe('rotateNodeKey', () => {
    it('moves activity to the new key and retires the old one for good', async () => {
      const { registry, alice, bob } = await networkHelpers.loadFixture(registeredFixture);
      await viem.assertions.emitWithArgs(registry.write.rotateNodeKey([NODE_B], { account: alice.account }), registry, 'NodeKeyRotated', [alice.account.address, NODE_A, NODE_B]);
      assert.equal(await registry.read.isActive([NODE_A]), false);
      assert.equal(await registry.read.isActive([NODE_B]), true);
      assert.equal((await registry.read.ownerOf([NODE_A])).toLowerCase(), alice.account.address.toLowerCase());
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.rotateNodeKey([NODE_A], { account: alice.account }),
        registry,
        'NodeKeyTaken',
        [NODE_A, alice.account.address],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.register([NODE_A, MIN_STAKE], { account: bob.account }),
        registry,
        'NodeKeyTaken',
        [NODE_A, alice.account.address],
      );
    });

    it('refuses a zero key, unregistered owners and exiting nodes', async () => {
      const { registry, alice, bob } = await networkHelpers.loadFixture(registeredFixture);
      await viem.assertions.revertWithCustomError(registry.write.rotateNodeKey([zeroAddress], { account: alice.account }), registry, 'ZeroNodeKey');
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.rotateNodeKey([NODE_C], { account: bob.account }), registry, 'NotRegistered', [bob.account.address]);
      await registry.write.requestExit({ account: alice.account });
      await viem.assertions.revertWithCustomError(registry.write.rotateNodeKey([NODE_C], { account: alice.account }), registry, 'NodeExiting');
    });
  });

  describe('requestExit and withdraw', () => {
    it('deactivates at once and returns the stake only after the unbonding period', async () => {
      const { registry, token, alice, publicClient } = await networkHelpers.loadFixture(registeredFixture);
      const balance = await token.read.balanceOf([alice.account.address]);
      const hashTx = await registry.write.requestExit({ account: alice.account });
      const block = await publicClient.getBlock({ blockNumber: (await publicClient.getTransactionReceipt({ hash: hashTx })).blockNumber });
      const endsAt = block.timestamp + UNBONDING_PERIOD;
      assert.equal((await registry.read.nodeOf([alice.account.address])).unbondingEndsAt, endsAt);
      assert.equal(await registry.read.isActive([NODE_A]), false);
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.requestExit({ account: alice.account }), registry, 'NodeExiting', [alice.account.address, endsAt]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.withdraw({ account: alice.account }),
        registry,
        'UnbondingNotOver',
        [alice.account.address, endsAt, (value: bigint) => value < endsAt],
      );
      await networkHelpers.time.increaseTo(endsAt);
      await viem.assertions.emitWithArgs(registry.write.withdraw({ account: alice.account }), registry, 'StakeWithdrawn', [alice.account.address, MIN_STAKE]);
      assert.equal(await token.read.balanceOf([alice.account.address]), balance + MIN_STAKE);
      const info = await registry.read.nodeOf([alice.account.address]);
      assert.equal(info.nodeKey, zeroAddress);
      assert.equal(info.stake, 0n);
      assert.equal(info.unbondingEndsAt, 0n);
    });

    it('lets a withdrawn owner register again with a new key without listing it twice', async () => {
      const { registry, alice } = await networkHelpers.loadFixture(registeredFixture);
      await registry.write.requestExit({ account: alice.account });
      await networkHelpers.time.increase(UNBONDING_PERIOD);
      await registry.write.withdraw({ account: alice.account });
      await registry.write.register([NODE_C, MIN_STAKE], { account: alice.account });
      assert.equal(await registry.read.nodeCount(), 1n);
      assert.equal(await registry.read.isActive([NODE_C]), true);
    });

    it('refuses withdraw without exit and for unregistered owners, and exit for unregistered owners', async () => {
      const { registry, alice, bob } = await networkHelpers.loadFixture(registeredFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.withdraw({ account: alice.account }), registry, 'ExitNotRequested', [alice.account.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.withdraw({ account: bob.account }), registry, 'NotRegistered', [bob.account.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.requestExit({ account: bob.account }), registry, 'NotRegistered', [bob.account.address]);
    });
  });

  describe('slash', () => {
    it('moves slashed stake to the treasury and deactivates a node below the minimum', async () => {
      const { registry, token, alice, coordinator, treasury } = await networkHelpers.loadFixture(registeredFixture);
      const evidence = hash('equivocation');
      await viem.assertions.emitWithArgs(
        registry.write.slash([alice.account.address, 10n, evidence], { account: coordinator.account }),
        registry,
        'NodeSlashed',
        [alice.account.address, 10n, evidence, coordinator.account.address],
      );
      assert.equal(await token.read.balanceOf([treasury.account.address]), 10n);
      assert.equal((await registry.read.nodeOf([alice.account.address])).stake, MIN_STAKE - 10n);
      assert.equal(await registry.read.isActive([NODE_A]), false);
      await registry.write.increaseStake([10n], { account: alice.account });
      assert.equal(await registry.read.isActive([NODE_A]), true);
    });

    it('still reaches an unbonding node, and a fully slashed node withdraws nothing', async () => {
      const { registry, token, alice, coordinator } = await networkHelpers.loadFixture(registeredFixture);
      await registry.write.requestExit({ account: alice.account });
      await registry.write.slash([alice.account.address, MIN_STAKE, hash('e')], { account: coordinator.account });
      await networkHelpers.time.increase(UNBONDING_PERIOD);
      const balance = await token.read.balanceOf([alice.account.address]);
      await viem.assertions.emitWithArgs(registry.write.withdraw({ account: alice.account }), registry, 'StakeWithdrawn', [alice.account.address, 0n]);
      assert.equal(await token.read.balanceOf([alice.account.address]), balance);
    });

    it('is for SLASHER_ROLE only and refuses zero, excess and unknown owners', async () => {
      const { registry, alice, bob, coordinator, outsider } = await networkHelpers.loadFixture(registeredFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.slash([alice.account.address, 1n, hash('e')], { account: outsider.account }),
        registry,
        'AccessControlUnauthorizedAccount',
        [outsider.account.address, ROLES.slasher],
      );
      await viem.assertions.revertWithCustomError(registry.write.slash([alice.account.address, 0n, hash('e')], { account: coordinator.account }), registry, 'ZeroAmount');
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.slash([alice.account.address, MIN_STAKE + 1n, hash('e')], { account: coordinator.account }),
        registry,
        'SlashExceedsStake',
        [alice.account.address, MIN_STAKE + 1n, MIN_STAKE],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.slash([bob.account.address, 1n, hash('e')], { account: coordinator.account }),
        registry,
        'NotRegistered',
        [bob.account.address],
      );
    });
  });

  describe('admin settings', () => {
    it('changes minStake, unbondingPeriod and treasury for DEFAULT_ADMIN_ROLE only', async () => {
      const { registry, admin, outsider, bob } = await networkHelpers.loadFixture(deployGradnet);
      await viem.assertions.emitWithArgs(registry.write.setMinStake([5n], { account: admin.account }), registry, 'MinStakeChanged', [5n]);
      await viem.assertions.emitWithArgs(registry.write.setUnbondingPeriod([7n], { account: admin.account }), registry, 'UnbondingPeriodChanged', [7n]);
      await viem.assertions.emitWithArgs(registry.write.setTreasury([bob.account.address], { account: admin.account }), registry, 'TreasuryChanged', [bob.account.address]);
      assert.equal(await registry.read.minStake(), 5n);
      assert.equal(await registry.read.unbondingPeriod(), 7n);
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.setTreasury([zeroAddress], { account: admin.account }), registry, 'ZeroAddress', ['treasury']);
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.setUnbondingPeriod([365n * 86_400n + 1n], { account: admin.account }),
        registry,
        'UnbondingPeriodTooLong',
        [365n * 86_400n + 1n],
      );
      assert.equal(await registry.read.MAX_UNBONDING_PERIOD(), 365n * 86_400n);
      for (const call of [
        registry.write.setMinStake([1n], { account: outsider.account }),
        registry.write.setUnbondingPeriod([1n], { account: outsider.account }),
        registry.write.setTreasury([outsider.account.address], { account: outsider.account }),
      ]) {
        await viem.assertions.revertWithCustomErrorWithArgs(call, registry, 'AccessControlUnauthorizedAccount', [outsider.account.address, ROLES.admin]);
      }
    });
  });

  describe('enumeration', () => {
    it('lists owners in registration order, page by page', async () => {
      const { registry, alice, bob, carol } = await networkHelpers.loadFixture(registeredFixture);
      await registry.write.register([NODE_B, MIN_STAKE], { account: bob.account });
      await registry.write.register([NODE_C, parseEther('150')], { account: carol.account });
      const [owners, nodes] = await registry.read.listNodes([0n, 10n]);
      assert.deepEqual(owners.map((o) => o.toLowerCase()), [alice, bob, carol].map((w) => w.account.address.toLowerCase()));
      assert.equal(nodes[2].stake, parseEther('150'));
      const [page] = await registry.read.listNodes([1n, 1n]);
      assert.deepEqual(page.map((o) => o.toLowerCase()), [bob.account.address.toLowerCase()]);
      const [tail] = await registry.read.listNodes([2n, 5n]);
      assert.equal(tail.length, 1);
      const [none] = await registry.read.listNodes([9n, 5n]);
      assert.equal(none.length, 0);
      assert.equal(await registry.read.isActive([zeroAddress]), false);
      assert.equal(await registry.read.ownerOf([key('never')]), zeroAddress);
    });
  });
});
