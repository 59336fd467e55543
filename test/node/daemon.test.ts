import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectGradnet, devOnlyAccounts } from '../../core/chain/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { initialParams } from '../../core/ml/index.ts';
import { CheckpointStore, genesisCheckpoint } from '../../core/tensor/index.ts';
import { registerNode } from '../../cli/index.ts';
import { ProcessGroup, freePort, waitFor, type ChildLogLine } from '../../core/process/index.ts';
import { startRpcRelay } from '../support/rpc-relay.ts';

const logger = createLogger({ name: 'daemon-test', level: 'warn' });

describe('gradnet daemon as a process', { timeout: 300_000 }, () => {
  const children = new ProcessGroup(logger);
  const [coordinatorKey, owner, stranger] = devOnlyAccounts(3);
  const nodeKey = devOnlyAccounts(5)[4];
  const genesisInit = initialParams('mlp', 1);
  const genesis = genesisCheckpoint(genesisInit);
  let rpcUrl = '';
  let deploymentsFile = '';
  let workDir = '';

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'gradnet-daemon-test-'));
    const port = await freePort();
    deploymentsFile = join(workDir, 'deployments.json');
    const devnet = children.start({ name: 'devnet', args: ['devnet', '--port', String(port), '--accounts', '3', '--genesis-hash', genesis.modelHash, '--deployments', deploymentsFile] });
    await waitFor('the devnet', () => (devnet.stdout().includes('press Ctrl-C') ? true : undefined), { timeoutMs: 120_000, child: devnet });
    rpcUrl = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await children.stopAll();
    await rm(workDir, { recursive: true, force: true });
  });

  it('refuses to start for an unregistered node key, in one line that says to register', async () => {
    const lines: ChildLogLine[] = [];
    const daemon = children.start({
      name: 'unregistered',
      args: ['daemon', '--rpc', rpcUrl, '--deployments', deploymentsFile, '--data-dir', join(workDir, 'unregistered'), '--keystore-dir', join(workDir, 'none')],
      env: { GRADNET_NODE_PRIVATE_KEY: stranger.privateKey },
      onLog: (line) => lines.push(line),
    });
    assert.equal(await daemon.exited, 1);
    const errors = lines.filter((line) => typeof line.msg === 'string' && line.msg.startsWith('error: '));
    assert.equal(errors.length, 1);
    assert.match(String(errors[0].msg), new RegExp(`node key ${stranger.address} is not registered .* run \`gradnet register`));
  });

  it('registers once, says so the second time, and refuses an owner without enough GRAD', async () => {
    const register = (ownerKey: string, stake: bigint, node = nodeKey.privateKey) => registerNode({
      config: { rpcUrl, deployments: deploymentsFile, keystoreDir: join(workDir, 'none') },
      stake,
      logger,
      env: { GRADNET_OWNER_PRIVATE_KEY: ownerKey, GRADNET_NODE_PRIVATE_KEY: node },
    });
    const first = await register(owner.privateKey, 100n * 10n ** 18n);
    assert.equal(first.alreadyRegistered, false);
    assert.equal(first.nodeKey, nodeKey.address);
    assert.equal((await register(owner.privateKey, 100n * 10n ** 18n)).alreadyRegistered, true);
    // Dev account 3 has gas but was not funded with GRAD by this devnet (3 accounts).
    await assert.rejects(register(stranger.privateKey, 100n * 10n ** 18n), { code: 'NODE_KEY_TAKEN' });
    const freshNode = devOnlyAccounts(6)[5].privateKey;
    await assert.rejects(register(devOnlyAccounts(4)[3].privateKey, 100n * 10n ** 18n, freshNode), { code: 'INSUFFICIENT_BALANCE' });
    await assert.rejects(register(stranger.privateKey, 1n, freshNode), { code: 'STAKE_TOO_LOW' });
  });

  it('trains round 1 and gossips its commitment, rides out an RPC outage, and stops cleanly on SIGTERM', async () => {
    // No coordinator here: the genesis model is put in the node's store, as if fetched before.
    const dataDir = join(workDir, 'node');
    await new CheckpointStore(join(dataDir, 'checkpoints')).put(genesis);
    const proxy = await startRpcRelay(rpcUrl);
    const lines: ChildLogLine[] = [];
    const seen = (pattern: RegExp): true | undefined => (lines.some((line) => pattern.test(String(line.msg))) ? true : undefined);
    const daemon = children.start({
      name: 'daemon',
      args: ['daemon', '--rpc', proxy.url, '--deployments', deploymentsFile, '--data-dir', dataDir, '--keystore-dir', join(workDir, 'none'),
        '--listen', '/ip4/127.0.0.1/tcp/0', '--inner-steps', '5', '--shard-index', '0', '--shard-count', '6', '--backend', 'wasm'],
      env: { GRADNET_NODE_PRIVATE_KEY: nodeKey.privateKey },
      onLog: (line) => lines.push(line),
    });
    try {
      // No coordinator announces a reveal: the update itself stays with the daemon.
      await waitFor('the commitment of round 1', () => seen(/^gossiped the commitment to its update for round 1;/), { timeoutMs: 120_000, child: daemon });
      assert.ok(seen(/using the raw node key from GRADNET_NODE_PRIVATE_KEY/), 'the dev-chain raw key warning is missing');
      proxy.down = true;
      await waitFor('the daemon to notice the outage', () => seen(/^round step failed/), { timeoutMs: 30_000, child: daemon });
      proxy.down = false;
      await waitFor('the daemon to recover', () => seen(/^chain and network reachable again/), { timeoutMs: 30_000, child: daemon });
    } finally {
      await proxy.close();
    }
    await children.stop(daemon.pid);
    assert.equal(await daemon.exited, 0);
    assert.ok(seen(/^daemon stopped/));
    assert.ok(!seen(/^gossiped update for round 1/), 'nobody saw its payload');
  });

  it('keeps contributing across a coordinator restart', async () => {
    const coordinatorPort = await freePort();
    const config = join(workDir, 'coordinator.json');
    await writeFile(config, JSON.stringify({
      rpcUrl, deployments: deploymentsFile, dataDir: join(workDir, 'coordinator'), listen: [`/ip4/127.0.0.1/tcp/${coordinatorPort}`],
      api: { host: '127.0.0.1', port: 0 }, model: { name: 'mlp' }, modelSeed: 1, round: { quorum: 1, deadlineMs: 500 }, nodes: { pollMs: 500 },
    }));
    const startCoordinator = async (): Promise<string> => {
      let address: string | undefined;
      const coordinator = children.start({
        name: 'coordinator', args: ['coordinator', '--config', config], env: { GRADNET_COORDINATOR_PRIVATE_KEY: coordinatorKey.privateKey },
        onLog: (line) => {
          if (line.msg === 'coordinator running') address = (line.addresses as string[])[0];
        },
      });
      return waitFor('the coordinator', () => address, { timeoutMs: 90_000, child: coordinator });
    };
    const bootstrap = await startCoordinator();
    const chain = await connectGradnet({ rpcUrl, deploymentsFile });
    const daemon = children.start({
      name: 'daemon',
      args: ['daemon', '--rpc', rpcUrl, '--deployments', deploymentsFile, '--data-dir', join(workDir, 'node'), '--keystore-dir', join(workDir, 'none'),
        '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', bootstrap, '--inner-steps', '5', '--shard-index', '0', '--shard-count', '6', '--heartbeat-seconds', '1', '--backend', 'wasm'],
      env: { GRADNET_NODE_PRIVATE_KEY: nodeKey.privateKey },
    });
    await waitFor('round 1 on chain', async () => ((await chain.ledger.roundCount()) >= 1 ? true : undefined), { timeoutMs: 90_000, child: daemon });
    const coordinator = children.running().find((child) => child.name === 'coordinator');
    assert.ok(coordinator);
    await children.stop(coordinator.pid);
    const afterStop = await chain.ledger.roundCount();
    await startCoordinator();
    await waitFor(`round ${afterStop + 1} on chain after the restart`, async () => ((await chain.ledger.roundCount()) > afterStop ? true : undefined), { timeoutMs: 90_000, child: daemon });
    const latest = await chain.ledger.getRound(await chain.ledger.roundCount());
    assert.equal(latest.contributors, 1);
  });
});
