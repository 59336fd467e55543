import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keccak256, parseEther, toHex } from 'viem';
import {
  ChainError,
  ChainInputError,
  connectGradnet,
  ContractMissingError,
  DEPLOY_DEFAULTS,
  deployGradnet,
  DEVNET_DEPLOY_DEFAULTS,
  DevnetError,
  devOnlyAccounts,
  nodeRegistryAbi,
  ROLES,
  RpcUnreachableError,
  startDevnet,
  type Devnet,
} from '../../../core/chain/index.ts';

describe('startDevnet and deployGradnet', () => {
  let dir: string;
  let devnet: Devnet;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-devnet-'));
    // An explicit undefined (as `gradnet devnet` passes for a flag not given) keeps the devnet's short window.
    devnet = await startDevnet({ port: 0, accounts: 4, fundAmount: parseEther('500'), blockIntervalMs: 1_000, deploy: { deploymentsFile: join(dir, '31337.json'), challengeWindowSeconds: undefined } });
  });
  after(async () => {
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves JSON-RPC on 127.0.0.1 with gradnet deployed and the DEV-ONLY accounts funded', async () => {
    assert.match(devnet.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(devnet.chainId, 31337);
    assert.deepEqual(JSON.parse(await readFile(join(dir, '31337.json'), 'utf8')), devnet.deployments);
    assert.deepEqual(devnet.accounts.map((a) => a.address), devOnlyAccounts(4).map((a) => a.address));
    const chain = await connectGradnet({ rpcUrl: devnet.rpcUrl, deployments: devnet.deployments });
    for (const account of devnet.accounts) assert.equal(await chain.token.balanceOf(account.address), parseEther('500'));
    assert.equal(await chain.token.balanceOf(devnet.deployments.contracts.RewardVault.address), parseEther('1000000'));
    assert.equal(await chain.ledger.roundCount(), 0);
    // The devnet's short waits, the bond posted for the coordinator (account 0), the timelock as admin.
    assert.equal(await chain.ledger.challengeWindow(), DEVNET_DEPLOY_DEFAULTS.challengeWindowSeconds);
    assert.equal(await chain.timelock.minDelay(), 0);
    assert.equal(await chain.ledger.coordinator(), devnet.accounts[0].address);
    assert.equal(await chain.challenges.bondOf(devnet.accounts[0].address), DEPLOY_DEFAULTS.coordinatorBond);
    assert.equal(await chain.challenges.thresholdBps(), DEPLOY_DEFAULTS.challengeThresholdBps);
    assert.equal(await chain.challenges.challengerShareBps(), DEPLOY_DEFAULTS.challengerShareBps);
    assert.equal(await chain.ledger.hasRole(ROLES.admin, devnet.accounts[0].address), false);
    assert.equal(await chain.ledger.hasRole(ROLES.admin, devnet.deployments.contracts.GradnetTimelock.address), true);
    // Blocks keep coming without transactions, so a round's window ends on an idle devnet.
    const [block, window] = [await chain.clients.publicClient.getBlock(), DEVNET_DEPLOY_DEFAULTS.challengeWindowSeconds];
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const later = await chain.clients.publicClient.getBlock();
    assert.ok(later.number > block.number && later.timestamp > block.timestamp, `no block mined while idle (window ${window} s)`);
    const blockNumbers = Object.values(devnet.deployments.contracts).map((c) => c.blockNumber);
    assert.ok(blockNumbers.every((n) => n >= 1), `block numbers ${blockNumbers.join(', ')}`);
  });

  it('reuses a live deployment, moving the coordinator role through the timelock (the old one loses it)', async () => {
    const coordinator = devnet.accounts[3].address;
    const file = join(dir, '31337.json');
    const again = await deployGradnet({ rpcUrl: devnet.rpcUrl, deployerKey: devnet.accounts[0].privateKey, deploymentsFile: file, coordinator, minStake: parseEther('5') });
    assert.equal(again.reused, true);
    assert.deepEqual(again.deployments, devnet.deployments);
    const chain = await connectGradnet({ rpcUrl: devnet.rpcUrl, deployments: devnet.deployments });
    assert.equal(await chain.clients.publicClient.readContract({
      address: devnet.deployments.contracts.RoundLedger.address,
      abi: [{ type: 'function', name: 'hasRole', stateMutability: 'view', inputs: [{ type: 'bytes32' }, { type: 'address' }], outputs: [{ type: 'bool' }] }],
      functionName: 'hasRole',
      args: [ROLES.coordinator, coordinator],
    }), true);
    assert.equal(await chain.ledger.hasRole(ROLES.coordinator, devnet.accounts[0].address), false);
    assert.equal(await chain.ledger.coordinator(), coordinator);
    assert.equal(await chain.registry.minStake(), parseEther('5'));
    // Back to account 0, for the tests that follow.
    await deployGradnet({ rpcUrl: devnet.rpcUrl, deployerKey: devnet.accounts[0].privateKey, deploymentsFile: file, coordinator: devnet.accounts[0].address });
  });

  it('refuses to reuse a deployment whose genesis differs, and deploys a new set with fresh', async () => {
    const file = join(dir, '31337.json');
    const options = { rpcUrl: devnet.rpcUrl, deployerKey: devnet.accounts[0].privateKey, deploymentsFile: file, genesisModelHash: keccak256(toHex('another model')) };
    await assert.rejects(deployGradnet(options), (error: unknown) => error instanceof ChainError && error.code === 'DEPLOYMENT_MISMATCH');
    const otherFile = join(dir, 'fresh.json');
    await assert.rejects(deployGradnet({ ...options, deploymentsFile: otherFile, fresh: true, slashBountyBps: 10_001 }), (error: unknown) => error instanceof ChainInputError && error.value === 10_001);
    for (const wrong of [{ challengeThresholdBps: 0 }, { challengerShareBps: 10_001 }, { challengeWindowSeconds: -1 }, { timelockDelaySeconds: 1.5 }, { coordinatorBond: 0n }]) {
      await assert.rejects(deployGradnet({ ...options, deploymentsFile: otherFile, fresh: true, ...wrong }), (error: unknown) => error instanceof ChainInputError && error.value === Object.values(wrong)[0]);
    }
    const fresh = await deployGradnet({ ...options, deploymentsFile: otherFile, fresh: true, slashBountyBps: 2_500 });
    assert.equal(fresh.reused, false);
    assert.notEqual(fresh.deployments.contracts.RoundLedger.address, devnet.deployments.contracts.RoundLedger.address);
    const chain = await connectGradnet({ rpcUrl: devnet.rpcUrl, deploymentsFile: otherFile });
    assert.equal(await chain.ledger.genesisModelHash(), options.genesisModelHash);
    const registry = { address: fresh.deployments.contracts.NodeRegistry.address, abi: nodeRegistryAbi } as const;
    assert.equal(await chain.clients.publicClient.readContract({ ...registry, functionName: 'slashBountyBps' }), 2_500n);
    assert.equal(await chain.clients.publicClient.readContract({ ...registry, functionName: 'roundLedger' }), fresh.deployments.contracts.RoundLedger.address);
    assert.equal(await chain.clients.publicClient.readContract({ ...registry, functionName: 'rewardVault' }), fresh.deployments.contracts.RewardVault.address);
  });

  it('names the unreachable RPC URL and writes no address book', async () => {
    const file = join(dir, 'unreachable.json');
    await assert.rejects(
      deployGradnet({ rpcUrl: 'http://127.0.0.1:9', deployerKey: devnet.accounts[0].privateKey, deploymentsFile: file }),
      (error: unknown) => error instanceof RpcUnreachableError && error.message.includes('http://127.0.0.1:9'),
    );
    assert.ok(!(await readdir(dir)).includes('unreachable.json'));
  });

  it('says so when the address book points at contracts this chain does not have', async () => {
    const bogus = structuredClone(devnet.deployments);
    bogus.contracts.RewardVault.address = '0x000000000000000000000000000000000000dEaD';
    await assert.rejects(connectGradnet({ rpcUrl: devnet.rpcUrl, deployments: bogus }), (error: unknown) => {
      assert.ok(error instanceof ContractMissingError);
      assert.equal(error.contract, 'RewardVault');
      assert.match(error.message, new RegExp(devnet.rpcUrl));
      return true;
    });
  });

  it('fails clearly on a busy port and on bad options', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await assert.rejects(startDevnet({ port }), (error: unknown) => {
        assert.ok(error instanceof DevnetError);
        assert.equal(error.port, port);
        assert.match(error.message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
        return true;
      });
    } finally {
      blocker.close();
    }
    await assert.rejects(startDevnet({ port: 70_000 }), /--port must be an integer/);
    await assert.rejects(startDevnet({ port: 0, accounts: 0 }), /--accounts must be an integer/);
    await assert.rejects(startDevnet({ port: 0, blockIntervalMs: 0 }), /block interval must be a positive whole number/);
  });

  it('starts a second devnet in the same process (same chain id and keys, fresh state) and stops it with its signal', async () => {
    const controller = new AbortController();
    // Funding sends transactions from DEV-ONLY account 0 again, from nonce 0 on the new chain.
    const second = await startDevnet({ port: 0, accounts: 2, fundAmount: 7n, signal: controller.signal, deploy: { deploymentsFile: join(dir, 'second.json') } });
    const chain = await connectGradnet({ rpcUrl: second.rpcUrl, account: second.accounts[0].privateKey, deployments: second.deployments });
    await chain.token.transfer(second.accounts[1].address, 1n);
    assert.equal(await chain.token.balanceOf(second.accounts[1].address), 8n);
    controller.abort();
    await second.closed;
    await assert.rejects(fetch(second.rpcUrl, { method: 'POST', body: '{}' }));
  });
});
