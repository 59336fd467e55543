import assert from 'node:assert/strict';
import { encodeFunctionData, getAddress, keccak256, toHex, type Address, type Hex } from 'viem';
import { deployGradnet, GENESIS, govern, hash, networkHelpers, ROLES, roundRecord, TIMELOCK_DELAY, viem, ZERO_HASH, type Gradnet } from './fixture.ts';

// Who may do what after the deployment's role split: the timelock (behind its delay) is the only
// admin; the coordinator commits rounds and nothing else; the deployer keeps only the capped
// minter role; the challenges contract alone voids rounds.

const CANCELLER_ROLE = keccak256(toHex('CANCELLER_ROLE'));

type Who = 'deployer' | 'coordinator' | 'outsider' | 'timelock';

/** Every privileged call: its contract, its calldata and the one party allowed to make it. */
function privilegedCalls(g: Gradnet): { name: string; target: Address; data: Hex; allowed: Who; refusedFor?: string }[] {
  const someone = g.outsider.account.address;
  const ledger = (functionName: 'setCoordinator' | 'bindChallenges', arg: Address): Hex => encodeFunctionData({ abi: g.ledger.abi, functionName, args: [arg] });
  return [
    { name: 'RoundLedger.setCoordinator', target: g.ledger.address, data: ledger('setCoordinator', someone), allowed: 'timelock' },
    { name: 'RoundLedger.grantRole(COORDINATOR_ROLE)', target: g.ledger.address, data: encodeFunctionData({ abi: g.ledger.abi, functionName: 'grantRole', args: [ROLES.coordinator, someone] }), allowed: 'timelock' },
    // The timelock passes the role check; the contract then refuses to bind a second challenges contract.
    { name: 'RoundLedger.bindChallenges', target: g.ledger.address, data: ledger('bindChallenges', someone), allowed: 'timelock', refusedFor: 'ChallengesAlreadyBound' },
    { name: 'RoundLedger.commitRound', target: g.ledger.address, data: encodeFunctionData({ abi: g.ledger.abi, functionName: 'commitRound', args: [roundRecord(1, GENESIS)] }), allowed: 'coordinator' },
    { name: 'NodeRegistry.setMinStake', target: g.registry.address, data: encodeFunctionData({ abi: g.registry.abi, functionName: 'setMinStake', args: [1n] }), allowed: 'timelock' },
    { name: 'NodeRegistry.setUnbondingPeriod', target: g.registry.address, data: encodeFunctionData({ abi: g.registry.abi, functionName: 'setUnbondingPeriod', args: [1n] }), allowed: 'timelock' },
    { name: 'GradToken.grantRole(MINTER_ROLE)', target: g.token.address, data: encodeFunctionData({ abi: g.token.abi, functionName: 'grantRole', args: [ROLES.minter, someone] }), allowed: 'timelock' },
    { name: 'GradToken.mint', target: g.token.address, data: encodeFunctionData({ abi: g.token.abi, functionName: 'mint', args: [someone, 1n] }), allowed: 'deployer' },
    { name: 'GradnetTimelock.updateDelay', target: g.timelock.address, data: encodeFunctionData({ abi: g.timelock.abi, functionName: 'updateDelay', args: [1n] }), allowed: 'timelock' },
  ];
}

describe('access control after deployment', () => {
  it('gives every role to the party the trust model names, and no more', async () => {
    const g = await networkHelpers.loadFixture(deployGradnet);
    const [deployer, coordinator, timelock] = [g.admin.account.address, g.coordinator.account.address, g.timelock.address];
    for (const contract of [g.token, g.ledger, g.registry] as const) {
      assert.equal(await contract.read.hasRole([ROLES.admin, timelock]), true, 'the timelock administers every contract');
      assert.equal(await contract.read.hasRole([ROLES.admin, deployer]), false, 'the deployer renounced its admin role');
      assert.equal(await contract.read.hasRole([ROLES.admin, coordinator]), false, 'the coordinator is no admin');
    }
    assert.equal(await g.ledger.read.hasRole([ROLES.coordinator, coordinator]), true);
    assert.equal(await g.ledger.read.hasRole([ROLES.coordinator, deployer]), false);
    assert.equal(await g.token.read.hasRole([ROLES.minter, coordinator]), false, 'the coordinator is no minter');
    assert.equal(await g.token.read.hasRole([ROLES.minter, deployer]), true, 'the deployer mints, within the cap');
    assert.equal(await g.ledger.read.challenges(), getAddress(g.challenges.address));
    // The timelock administers itself; the governor proposes, executes and cancels.
    assert.equal(await g.timelock.read.hasRole([ROLES.admin, timelock]), true);
    assert.equal(await g.timelock.read.hasRole([ROLES.admin, deployer]), false);
    for (const role of [ROLES.proposer, ROLES.executor, CANCELLER_ROLE]) {
      assert.equal(await g.timelock.read.hasRole([role, deployer]), true);
      assert.equal(await g.timelock.read.hasRole([role, coordinator]), false);
    }
    assert.equal(await g.timelock.read.getMinDelay(), TIMELOCK_DELAY);
  });

  it('lets each privileged call through for its one party only', async () => {
    const g = await networkHelpers.loadFixture(deployGradnet);
    const wallets = { deployer: g.admin, coordinator: g.coordinator, outsider: g.outsider };
    for (const call of privilegedCalls(g)) {
      for (const [who, wallet] of Object.entries(wallets)) {
        if (who === call.allowed) continue;
        await assert.rejects(wallet.sendTransaction({ to: call.target, data: call.data, account: wallet.account }), (error: Error) => {
          assert.match(error.message, /AccessControlUnauthorizedAccount|TimelockUnauthorizedCaller/, `${call.name} by the ${who}`);
          return true;
        });
      }
    }
    // And the allowed party gets through (each from a fresh deployment, since they change state).
    for (const call of privilegedCalls(g)) {
      await networkHelpers.loadFixture(deployGradnet);
      const sent = call.allowed === 'timelock'
        ? govern(g, call.target, call.data)
        : wallets[call.allowed].sendTransaction({ to: call.target, data: call.data, account: wallets[call.allowed].account });
      if (call.refusedFor) await assert.rejects(sent, new RegExp(call.refusedFor), call.name);
      else await sent;
    }
  });

  it('runs an admin call only after the delay, and only for the governor', async () => {
    const g = await networkHelpers.loadFixture(deployGradnet);
    const data = encodeFunctionData({ abi: g.registry.abi, functionName: 'setMinStake', args: [1n] });
    const salt = hash('delayed');
    await viem.assertions.revertWithCustomError(
      g.timelock.write.schedule([g.registry.address, 0n, data, ZERO_HASH, salt, TIMELOCK_DELAY], { account: g.coordinator.account }),
      g.timelock,
      'AccessControlUnauthorizedAccount',
    );
    await viem.assertions.revertWithCustomError(
      g.timelock.write.schedule([g.registry.address, 0n, data, ZERO_HASH, salt, TIMELOCK_DELAY - 1n], { account: g.admin.account }),
      g.timelock,
      'TimelockInsufficientDelay',
    );
    await g.timelock.write.schedule([g.registry.address, 0n, data, ZERO_HASH, salt, TIMELOCK_DELAY], { account: g.admin.account });
    await viem.assertions.revertWithCustomError(g.timelock.write.execute([g.registry.address, 0n, data, ZERO_HASH, salt], { account: g.admin.account }), g.timelock, 'TimelockUnexpectedOperationState');
    await networkHelpers.time.increase(TIMELOCK_DELAY);
    await viem.assertions.revertWithCustomError(g.timelock.write.execute([g.registry.address, 0n, data, ZERO_HASH, salt], { account: g.outsider.account }), g.timelock, 'AccessControlUnauthorizedAccount');
    await g.timelock.write.execute([g.registry.address, 0n, data, ZERO_HASH, salt], { account: g.admin.account });
    assert.equal(await g.registry.read.minStake(), 1n);
  });
});
