import assert from 'node:assert/strict';
import hre from 'hardhat';
import { encodeFunctionData, getAddress, hashTypedData, maxUint256, parseEther, zeroAddress, type Address, type Hex } from 'viem';
import { NODE_KEY_BINDING_TYPES, registryDomain, updateStruct } from '../../core/chain/index.ts';
import { evidenceHashOf, gradnetDomain, signUpdate, updateDigest, type GradnetDomain, type SignedUpdate } from '../../core/protocol/index.ts';
import { binding, deployGradnet, govern, hash, MIN_STAKE, networkHelpers, nodeKey, registerNode, ROLES, SLASH_BOUNTY_BPS, UNBONDING_PERIOD, viem, type Gradnet, type NodeKey } from './fixture.ts';

type Wallet = Gradnet['alice'];

// Coverage runs instrumented bytecode, whose gas means nothing.
const itMeasuresGas = hre.globalOptions.coverage === true ? it.skip : it;

const NODE_A = nodeKey('node a');
const NODE_B = nodeKey('node b');
const NODE_C = nodeKey('node c');
const BASE = hash('base model');

async function registeredFixture() {
  const g = await deployGradnet();
  await registerNode(g, g.alice, NODE_A);
  return g;
}

/** The protocol's update domain of this deployment: the RoundLedger names it. */
async function protocolDomain(g: Gradnet): Promise<GradnetDomain> {
  return gradnetDomain(await g.publicClient.getChainId(), g.ledger.address);
}

/** An update signed exactly as a daemon signs it (core/protocol's signUpdate). */
function signed(key: NodeKey, domain: GradnetDomain, round: number, payloadLabel: string, base = BASE): Promise<SignedUpdate> {
  return signUpdate({
    privateKey: key.privateKey,
    domain,
    round,
    baseModelHash: base,
    samples: 600,
    trainLoss: 0.412,
    codec: 'topk',
    payload: new TextEncoder().encode(payloadLabel),
  });
}

function slashEquivocation(g: Gradnet, first: SignedUpdate, second: SignedUpdate, by: Wallet = g.reporter): Promise<Hex> {
  return g.registry.write.slashEquivocation([updateStruct(first), first.signature, updateStruct(second), second.signature], { account: by.account });
}

async function gasOf(g: Gradnet, tx: Promise<Hex>): Promise<bigint> {
  return (await g.publicClient.getTransactionReceipt({ hash: await tx })).gasUsed;
}

describe('NodeRegistry', () => {
  describe('deployment', () => {
    it('stores its parameters and refuses zero addresses and a bounty above 100%', async () => {
      const { registry, token, ledger, vault, admin } = await networkHelpers.loadFixture(deployGradnet);
      assert.equal(await registry.read.minStake(), MIN_STAKE);
      assert.equal(await registry.read.unbondingPeriod(), UNBONDING_PERIOD);
      assert.equal(await registry.read.token(), getAddress(token.address));
      assert.equal(await registry.read.roundLedger(), getAddress(ledger.address));
      assert.equal(await registry.read.rewardVault(), getAddress(vault.address));
      assert.equal(await registry.read.slashBountyBps(), SLASH_BOUNTY_BPS);
      const [a, t, l, v] = [admin.account.address, token.address, ledger.address, vault.address];
      const deploy = (args: [Address, bigint, bigint, Address, Address, bigint, Address]) => viem.deployContract('NodeRegistry', args);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([zeroAddress, 1n, 1n, l, v, 0n, a]), registry, 'ZeroAddress', ['token']);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([t, 1n, 1n, zeroAddress, v, 0n, a]), registry, 'ZeroAddress', ['roundLedger']);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([t, 1n, 1n, l, zeroAddress, 0n, a]), registry, 'ZeroAddress', ['rewardVault']);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([t, 1n, 1n, l, v, 0n, zeroAddress]), registry, 'ZeroAddress', ['admin']);
      const tooLong = 365n * 86_400n + 1n;
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([t, 1n, tooLong, l, v, 0n, a]), registry, 'UnbondingPeriodTooLong', [tooLong]);
      await viem.assertions.revertWithCustomErrorWithArgs(deploy([t, 1n, 1n, l, v, 10_001n, a]), registry, 'BountyTooHigh', [10_001n]);
    });
  });

  describe('register', () => {
    it('binds the node key to the owner, pulls the stake and makes the node active', async () => {
      const g = await networkHelpers.loadFixture(deployGradnet);
      const { registry, token, alice } = g;
      const before = await token.read.balanceOf([alice.account.address]);
      await viem.assertions.emitWithArgs(registerNode(g, alice, NODE_A), registry, 'NodeRegistered', [alice.account.address, NODE_A.address, MIN_STAKE]);
      assert.equal(await token.read.balanceOf([alice.account.address]), before - MIN_STAKE);
      assert.equal(await token.read.balanceOf([registry.address]), MIN_STAKE);
      assert.equal(await registry.read.isActive([NODE_A.address]), true);
      assert.equal(await registry.read.ownerOf([NODE_A.address]), getAddress(alice.account.address));
      assert.deepEqual(await registry.read.nodeOf([alice.account.address]), { nodeKey: NODE_A.address, stake: MIN_STAKE, unbondingEndsAt: 0n, active: true });
      assert.equal(await registry.read.nodeCount(), 1n);
    });

    it('refuses a key that did not sign this owner in this registry on this chain: nobody can squat a node key', async () => {
      const g = await networkHelpers.loadFixture(deployGradnet);
      const { registry, alice, bob, ledger } = g;
      const notNodeA = (signer: Address) => signer !== NODE_A.address;
      const attempts: [string, Hex][] = [
        // Bob front-runs Alice's registration with the signature she is about to send.
        ['the binding Alice was given', await binding(g, NODE_A, alice.account.address)],
        ['a binding Bob signed himself', await binding(g, NODE_B, bob.account.address)],
        ['a binding for another chain', await binding(g, NODE_A, bob.account.address, { chainId: 1 })],
        ['a binding for another registry', await binding(g, NODE_A, bob.account.address, { registry: ledger.address })],
      ];
      for (const [, signature] of attempts) {
        await viem.assertions.revertWithCustomErrorWithArgs(registry.write.register([NODE_A.address, MIN_STAKE, signature], { account: bob.account }), registry, 'NodeKeySignatureInvalid', [NODE_A.address, notNodeA]);
      }
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.register([NODE_A.address, MIN_STAKE, '0x1234'], { account: bob.account }), registry, 'NodeKeySignatureInvalid', [NODE_A.address, zeroAddress]);
      assert.equal(await registry.read.ownerOf([NODE_A.address]), zeroAddress);
      await registerNode(g, alice, NODE_A);
      assert.equal(await registry.read.ownerOf([NODE_A.address]), getAddress(alice.account.address));
    });

    it('signs the digest the registry computes (EIP-712 NodeKeyBinding in the registry domain)', async () => {
      const g = await networkHelpers.loadFixture(deployGradnet);
      const domain = registryDomain(await g.publicClient.getChainId(), g.registry.address);
      const expected = hashTypedData({ domain, types: NODE_KEY_BINDING_TYPES, primaryType: 'NodeKeyBinding', message: { owner: g.alice.account.address } });
      assert.equal(await g.registry.read.nodeKeyBindingDigest([g.alice.account.address]), expected);
    });

    it('refuses a zero key, a stake below the minimum, a second node and a taken key', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      const { registry, alice, bob } = g;
      await viem.assertions.revertWithCustomError(registry.write.register([zeroAddress, MIN_STAKE, '0x'], { account: bob.account }), registry, 'ZeroNodeKey');
      await viem.assertions.revertWithCustomErrorWithArgs(registerNode(g, bob, NODE_B, MIN_STAKE - 1n), registry, 'StakeBelowMinimum', [MIN_STAKE - 1n, MIN_STAKE]);
      await viem.assertions.revertWithCustomErrorWithArgs(registerNode(g, alice, NODE_B), registry, 'AlreadyRegistered', [alice.account.address, NODE_A.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(registerNode(g, bob, NODE_A), registry, 'NodeKeyTaken', [NODE_A.address, alice.account.address]);
    });

    it('refuses a stake that does not fit 88 bits', async () => {
      const g = await networkHelpers.loadFixture(deployGradnet);
      const { registry, token, bob } = g;
      const huge = 2n ** 88n;
      await token.write.mint([bob.account.address, huge]);
      await token.write.approve([registry.address, maxUint256], { account: bob.account });
      await viem.assertions.revertWithCustomErrorWithArgs(registerNode(g, bob, NODE_B, huge), registry, 'StakeTooLarge', [huge]);
    });

    it('fails cleanly without an allowance', async () => {
      const g = await networkHelpers.loadFixture(deployGradnet);
      const { registry, token, outsider } = g;
      await token.write.mint([outsider.account.address, MIN_STAKE]);
      await viem.assertions.revertWithCustomErrorWithArgs(registerNode(g, outsider, NODE_C), token, 'ERC20InsufficientAllowance', [registry.address, 0n, MIN_STAKE]);
    });

    itMeasuresGas('costs at most 150,000 gas (a typical registration, not the first ever)', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      const gas = await gasOf(g, registerNode(g, g.bob, NODE_B));
      assert.ok(gas <= 150_000n, `register used ${gas} gas`);
    });
  });

  describe('increaseStake', () => {
    it('adds to the stake and re-activates a node below a raised minimum', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      const { registry, alice } = g;
      await govern(g, registry.address, encodeFunctionData({ abi: registry.abi, functionName: 'setMinStake', args: [MIN_STAKE * 2n] }));
      assert.equal(await registry.read.isActive([NODE_A.address]), false);
      await viem.assertions.emitWithArgs(
        registry.write.increaseStake([MIN_STAKE], { account: alice.account }),
        registry,
        'StakeIncreased',
        [alice.account.address, MIN_STAKE, MIN_STAKE * 2n],
      );
      assert.equal(await registry.read.isActive([NODE_A.address]), true);
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
      const g = await networkHelpers.loadFixture(registeredFixture);
      const { registry, alice, bob } = g;
      const rotate = async (key: NodeKey) => registry.write.rotateNodeKey([key.address, await binding(g, key, alice.account.address)], { account: alice.account });
      await viem.assertions.emitWithArgs(rotate(NODE_B), registry, 'NodeKeyRotated', [alice.account.address, NODE_A.address, NODE_B.address]);
      assert.equal(await registry.read.isActive([NODE_A.address]), false);
      assert.equal(await registry.read.isActive([NODE_B.address]), true);
      assert.equal(await registry.read.ownerOf([NODE_A.address]), getAddress(alice.account.address));
      await viem.assertions.revertWithCustomErrorWithArgs(rotate(NODE_A), registry, 'NodeKeyTaken', [NODE_A.address, alice.account.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(registerNode(g, bob, NODE_A), registry, 'NodeKeyTaken', [NODE_A.address, alice.account.address]);
    });

    it('refuses a key that did not sign the owner, a zero key, unregistered owners and exiting nodes', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      const { registry, alice, bob } = g;
      // Rotating onto someone else's key would squat it as surely as registering it.
      await viem.assertions.revertWithCustomErrorWithArgs(
        registry.write.rotateNodeKey([NODE_C.address, await binding(g, NODE_C, bob.account.address)], { account: alice.account }),
        registry,
        'NodeKeySignatureInvalid',
        [NODE_C.address, (signer: Address) => signer !== NODE_C.address],
      );
      await viem.assertions.revertWithCustomError(registry.write.rotateNodeKey([zeroAddress, '0x'], { account: alice.account }), registry, 'ZeroNodeKey');
      const bobsBinding = await binding(g, NODE_C, bob.account.address);
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.rotateNodeKey([NODE_C.address, bobsBinding], { account: bob.account }), registry, 'NotRegistered', [bob.account.address]);
      await registry.write.requestExit({ account: alice.account });
      const alicesBinding = await binding(g, NODE_C, alice.account.address);
      await viem.assertions.revertWithCustomError(registry.write.rotateNodeKey([NODE_C.address, alicesBinding], { account: alice.account }), registry, 'NodeExiting');
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
      assert.equal(await registry.read.isActive([NODE_A.address]), false);
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
      const g = await networkHelpers.loadFixture(registeredFixture);
      const { registry, alice } = g;
      await registry.write.requestExit({ account: alice.account });
      await networkHelpers.time.increase(UNBONDING_PERIOD);
      await registry.write.withdraw({ account: alice.account });
      await registerNode(g, alice, NODE_C);
      assert.equal(await registry.read.nodeCount(), 1n);
      assert.equal(await registry.read.isActive([NODE_C.address]), true);
    });

    it('refuses withdraw without exit and for unregistered owners, and exit for unregistered owners', async () => {
      const { registry, alice, bob } = await networkHelpers.loadFixture(registeredFixture);
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.withdraw({ account: alice.account }), registry, 'ExitNotRequested', [alice.account.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.withdraw({ account: bob.account }), registry, 'NotRegistered', [bob.account.address]);
      await viem.assertions.revertWithCustomErrorWithArgs(registry.write.requestExit({ account: bob.account }), registry, 'NotRegistered', [bob.account.address]);
    });
  });

  describe('slashEquivocation', () => {
    it('computes the digest core/protocol signs (same EIP-712 Update type and gradnet domain)', async () => {
      const g = await networkHelpers.loadFixture(deployGradnet);
      const domain = await protocolDomain(g);
      const update = await signed(NODE_A, domain, 7, 'payload');
      assert.equal(await g.registry.read.updateDigest([updateStruct(update)]), updateDigest(update, domain));
    });

    it('takes the whole stake of a key that signed two updates for one round: a bounty to the reporter, the rest to the vault', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      const { registry, token, vault, alice, reporter } = g;
      const domain = await protocolDomain(g);
      const first = await signed(NODE_A, domain, 3, 'first payload');
      const second = await signed(NODE_A, domain, 3, 'second payload');
      const [vaultBefore, reporterBefore] = await Promise.all([token.read.balanceOf([vault.address]), token.read.balanceOf([reporter.account.address])]);
      const bounty = (MIN_STAKE * SLASH_BOUNTY_BPS) / 10_000n;
      await viem.assertions.emitWithArgs(
        slashEquivocation(g, first, second),
        registry,
        'NodeSlashed',
        [alice.account.address, NODE_A.address, 3n, evidenceHashOf(updateDigest(first, domain), updateDigest(second, domain)), MIN_STAKE, bounty, reporter.account.address],
      );
      assert.equal(await token.read.balanceOf([reporter.account.address]), reporterBefore + bounty);
      assert.equal(await token.read.balanceOf([vault.address]), vaultBefore + MIN_STAKE - bounty);
      assert.equal(await token.read.balanceOf([registry.address]), 0n);
      assert.equal((await registry.read.nodeOf([alice.account.address])).stake, 0n);
      assert.equal(await registry.read.isActive([NODE_A.address]), false);
      assert.equal(await registry.read.slashedFor([NODE_A.address, 3n]), true);
      assert.equal(await registry.read.slashedFor([NODE_A.address, 4n]), false);
      await viem.assertions.revertWithCustomErrorWithArgs(slashEquivocation(g, second, first), registry, 'AlreadySlashed', [NODE_A.address, 3n]);
      // A topped-up node is not slashed twice for one offence, and an empty stake has nothing to take.
      await registry.write.increaseStake([MIN_STAKE], { account: alice.account });
      await viem.assertions.revertWithCustomErrorWithArgs(slashEquivocation(g, first, second), registry, 'AlreadySlashed', [NODE_A.address, 3n]);
      await slashEquivocation(g, await signed(NODE_A, domain, 4, 'a'), await signed(NODE_A, domain, 4, 'b'));
      await viem.assertions.revertWithCustomErrorWithArgs(
        slashEquivocation(g, await signed(NODE_A, domain, 5, 'a'), await signed(NODE_A, domain, 5, 'b')),
        registry,
        'NothingToSlash',
        [alice.account.address],
      );
    });

    it('still reaches an unbonding node, and a fully slashed node withdraws nothing', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      const { registry, token, alice } = g;
      const domain = await protocolDomain(g);
      await registry.write.requestExit({ account: alice.account });
      await slashEquivocation(g, await signed(NODE_A, domain, 1, 'a'), await signed(NODE_A, domain, 1, 'b'));
      await networkHelpers.time.increase(UNBONDING_PERIOD);
      const balance = await token.read.balanceOf([alice.account.address]);
      await viem.assertions.emitWithArgs(registry.write.withdraw({ account: alice.account }), registry, 'StakeWithdrawn', [alice.account.address, 0n]);
      assert.equal(await token.read.balanceOf([alice.account.address]), balance);
    });

    it('refuses forged, mismatched, same-update, other-chain and other-deployment evidence', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      const { registry, ledger, alice } = g;
      const domain = await protocolDomain(g);
      const first = await signed(NODE_A, domain, 3, 'first payload');
      const second = await signed(NODE_A, domain, 3, 'second payload');
      const notNodeA = (signer: Address) => signer !== NODE_A.address;
      const refuse = (a: SignedUpdate, b: SignedUpdate, error: Parameters<typeof viem.assertions.revertWithCustomErrorWithArgs>[2], args: unknown[]) =>
        viem.assertions.revertWithCustomErrorWithArgs(slashEquivocation(g, a, b), registry, error as never, args as never);

      // Forged: a field changed after signing, or another key signing in NODE_A's name.
      await refuse(first, { ...second, samples: second.samples + 1 }, 'UpdateSignatureInvalid', [NODE_A.address, notNodeA]);
      const impostor = await signed(NODE_B, domain, 3, 'second payload');
      await refuse(first, { ...impostor, nodeKey: NODE_A.address }, 'UpdateSignatureInvalid', [NODE_A.address, notNodeA]);
      await refuse(first, { ...second, signature: '0x1234' }, 'UpdateSignatureInvalid', [NODE_A.address, zeroAddress]);
      // Signed for another chain, or for another deployment's RoundLedger.
      const otherChain = gradnetDomain(1, ledger.address);
      await refuse(first, await signed(NODE_A, otherChain, 3, 'second payload'), 'UpdateSignatureInvalid', [NODE_A.address, notNodeA]);
      await refuse(await signed(NODE_A, otherChain, 3, 'a'), await signed(NODE_A, otherChain, 3, 'b'), 'UpdateSignatureInvalid', [NODE_A.address, notNodeA]);
      const otherDeployment = gradnetDomain(domain.chainId, registry.address);
      await refuse(await signed(NODE_A, otherDeployment, 3, 'a'), await signed(NODE_A, otherDeployment, 3, 'b'), 'UpdateSignatureInvalid', [NODE_A.address, notNodeA]);
      // Not the same round, base model or key; or the same update twice.
      await refuse(first, await signed(NODE_A, domain, 4, 'second payload'), 'EvidenceRoundsDiffer', [3n, 4n]);
      await refuse(first, await signed(NODE_A, domain, 3, 'second payload', hash('another base')), 'EvidenceBaseModelsDiffer', [BASE, hash('another base')]);
      await refuse(first, impostor, 'EvidenceKeysDiffer', [NODE_A.address, NODE_B.address]);
      await refuse(first, first, 'EvidenceSameUpdate', [updateDigest(first, domain)]);
      // Keys that are not a node's current key: never registered, or rotated out.
      await refuse(await signed(NODE_C, domain, 3, 'a'), await signed(NODE_C, domain, 3, 'b'), 'NotCurrentNodeKey', [NODE_C.address]);
      await registry.write.rotateNodeKey([NODE_B.address, await binding(g, NODE_B, alice.account.address)], { account: alice.account });
      await refuse(first, second, 'NotCurrentNodeKey', [NODE_A.address]);
      assert.equal((await registry.read.nodeOf([alice.account.address])).stake, MIN_STAKE);
    });

    it('never slashes an honest node: one update per round, re-sent as is', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      const { registry, alice } = g;
      const domain = await protocolDomain(g);
      const updates = await Promise.all([1, 2, 3].map((round) => signed(NODE_A, domain, round, `round ${round} payload`)));
      for (const a of updates) {
        for (const b of updates) await viem.assertions.revertWithCustomError(slashEquivocation(g, a, b), registry, a === b ? 'EvidenceSameUpdate' : 'EvidenceRoundsDiffer');
      }
      assert.equal((await registry.read.nodeOf([alice.account.address])).stake, MIN_STAKE);
      assert.equal(await registry.read.isActive([NODE_A.address]), true);
    });

    itMeasuresGas('costs at most 120,000 gas (the reporter\'s first GRAD: its balance slot is created)', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      const domain = await protocolDomain(g);
      const gas = await gasOf(g, slashEquivocation(g, await signed(NODE_A, domain, 3, 'a'), await signed(NODE_A, domain, 3, 'b')));
      assert.ok(gas <= 120_000n, `slashEquivocation used ${gas} gas`);
    });
  });

  describe('admin settings', () => {
    it('changes minStake and unbondingPeriod through the timelock only (DEFAULT_ADMIN_ROLE)', async () => {
      const g = await networkHelpers.loadFixture(deployGradnet);
      const { registry, admin, outsider, timelock } = g;
      const set = (functionName: 'setMinStake' | 'setUnbondingPeriod', value: bigint): Hex => encodeFunctionData({ abi: registry.abi, functionName, args: [value] });
      await viem.assertions.emitWithArgs(govern(g, registry.address, set('setMinStake', 5n)), registry, 'MinStakeChanged', [5n]);
      await viem.assertions.emitWithArgs(govern(g, registry.address, set('setUnbondingPeriod', 7n)), registry, 'UnbondingPeriodChanged', [7n]);
      assert.equal(await registry.read.minStake(), 5n);
      assert.equal(await registry.read.unbondingPeriod(), 7n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        govern(g, registry.address, set('setUnbondingPeriod', 365n * 86_400n + 1n)),
        registry,
        'UnbondingPeriodTooLong',
        [365n * 86_400n + 1n],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(govern(g, registry.address, set('setMinStake', 2n ** 88n)), registry, 'StakeTooLarge', [2n ** 88n]);
      assert.equal(await registry.read.MAX_UNBONDING_PERIOD(), 365n * 86_400n);
      assert.equal(await registry.read.hasRole([ROLES.admin, timelock.address]), true);
      for (const who of [admin, outsider]) {
        for (const call of [registry.write.setMinStake([1n], { account: who.account }), registry.write.setUnbondingPeriod([1n], { account: who.account })]) {
          await viem.assertions.revertWithCustomErrorWithArgs(call, registry, 'AccessControlUnauthorizedAccount', [who.account.address, ROLES.admin]);
        }
      }
    });
  });

  describe('active stake', () => {
    it('keeps the running total exact through register, increaseStake, requestExit, withdraw and slashing', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      const { registry, alice, bob, carol } = g;
      const total = (): Promise<bigint> => registry.read.totalActiveStake();
      assert.equal(await total(), MIN_STAKE);
      assert.equal(await registry.read.activeStakeOf([NODE_A.address]), MIN_STAKE);
      await registerNode(g, bob, NODE_B, parseEther('150'));
      await registerNode(g, carol, NODE_C);
      assert.equal(await total(), MIN_STAKE * 2n + parseEther('150'));
      await registry.write.increaseStake([parseEther('20')], { account: bob.account });
      assert.equal(await registry.read.activeStakeOf([NODE_B.address]), parseEther('170'));
      assert.equal(await total(), MIN_STAKE * 2n + parseEther('170'));
      // An exiting node leaves the total at once; its withdrawal changes nothing more.
      await registry.write.requestExit({ account: carol.account });
      assert.equal(await registry.read.activeStakeOf([NODE_C.address]), 0n);
      assert.equal(await total(), MIN_STAKE + parseEther('170'));
      // Slashing an exiting node takes stake that already left the total.
      const domain = await protocolDomain(g);
      await slashEquivocation(g, await signed(NODE_C, domain, 1, 'x'), await signed(NODE_C, domain, 1, 'y'));
      assert.equal(await total(), MIN_STAKE + parseEther('170'));
      await networkHelpers.time.increase(UNBONDING_PERIOD);
      await registry.write.withdraw({ account: carol.account });
      assert.equal(await total(), MIN_STAKE + parseEther('170'));
      // Slashing an active node takes its stake out of the total.
      await slashEquivocation(g, await signed(NODE_B, domain, 2, 'x'), await signed(NODE_B, domain, 2, 'y'));
      assert.equal(await total(), MIN_STAKE);
      assert.equal(await registry.read.activeStakeOf([NODE_B.address]), 0n);
      assert.equal(await registry.read.activeStakeOf([alice.account.address]), 0n, 'an owner address is not a node key');
      assert.equal(await registry.read.activeStakeOf([zeroAddress]), 0n);
    });

    it('weighs nothing for a node left below a raised minimum, while the total keeps its stake', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      await govern(g, g.registry.address, encodeFunctionData({ abi: g.registry.abi, functionName: 'setMinStake', args: [MIN_STAKE + 1n] }));
      assert.equal(await g.registry.read.activeStakeOf([NODE_A.address]), 0n);
      assert.equal(await g.registry.read.totalActiveStake(), MIN_STAKE);
    });
  });

  describe('enumeration', () => {
    it('lists owners in registration order, page by page', async () => {
      const g = await networkHelpers.loadFixture(registeredFixture);
      const { registry, alice, bob, carol } = g;
      await registerNode(g, bob, NODE_B);
      await registerNode(g, carol, NODE_C, parseEther('150'));
      const [owners, nodes] = await registry.read.listNodes([0n, 10n]);
      assert.deepEqual(owners, [alice, bob, carol].map((w) => getAddress(w.account.address)));
      assert.equal(nodes[2].stake, parseEther('150'));
      const [page] = await registry.read.listNodes([1n, 1n]);
      assert.deepEqual(page, [getAddress(bob.account.address)]);
      const [tail] = await registry.read.listNodes([2n, 5n]);
      assert.equal(tail.length, 1);
      const [none] = await registry.read.listNodes([9n, 5n]);
      assert.equal(none.length, 0);
      assert.equal(await registry.read.isActive([zeroAddress]), false);
      assert.equal(await registry.read.ownerOf([nodeKey('never').address]), zeroAddress);
    });
  });
});
