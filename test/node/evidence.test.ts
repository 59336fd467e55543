import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createCoordinator, type Coordinator } from '../../coordinator/index.ts';
import { DEPLOY_DEFAULTS, connectGradnet, startDevnet, type Devnet } from '../../core/chain/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { initialParams } from '../../core/ml/index.ts';
import { createGradnetNode, type GradnetNode } from '../../core/p2p/index.ts';
import { ProcessGroup, waitFor, type ChildLogLine } from '../../core/process/index.ts';
import { createGossipValidator, gradnetDomain, nodeKeyAddress, signUpdate } from '../../core/protocol/index.ts';
import { CheckpointStore, encodeDelta, genesisCheckpoint } from '../../core/tensor/index.ts';

// Issue 11, 3.9: equivocation seen only by peers was only logged. A daemon that sees a node key
// sign two different updates for one round now gets that node slashed on chain itself.

const logger = createLogger({ name: 'evidence-test', level: 'warn' });

describe('a daemon proves the equivocation it sees on gossip (devnet, coordinator, daemon process, libp2p loopback)', { timeout: 300_000 }, () => {
  const children = new ProcessGroup(logger);
  const genesis = genesisCheckpoint(initialParams('mlp', 1));
  let workDir = '';
  let devnet: Devnet;
  let coordinator: Coordinator | undefined;
  let cheat: GradnetNode | undefined;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'gradnet-evidence-test-'));
    // Accounts 0..3 hold ETH and GRAD: 1 and 2 own nodes, 3 is the daemon's node key (it pays the gas).
    devnet = await startDevnet({ port: 0, accounts: 4, deploy: { deploymentsFile: join(workDir, 'deployments.json'), genesisModelHash: genesis.modelHash } });
  });

  after(async () => {
    await cheat?.stop();
    await children.stopAll();
    await coordinator?.stop();
    await devnet?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  it('sends NodeRegistry.slashEquivocation from its node key: the offender loses its stake, the daemon earns the bounty', async () => {
    const [, honestOwner, cheatOwner, daemonKey] = devnet.accounts;
    const cheatKey = generatePrivateKey();
    for (const [owner, nodeKey] of [[honestOwner.privateKey, daemonKey.privateKey], [cheatOwner.privateKey, cheatKey]] as const) {
      const chain = await connectGradnet({ rpcUrl: devnet.rpcUrl, account: owner, deployments: devnet.deployments });
      await chain.registryClient.register(privateKeyToAccount(nodeKey), await chain.registry.minStake());
    }
    const reader = await connectGradnet({ rpcUrl: devnet.rpcUrl, deployments: devnet.deployments });
    const cheatAddress = nodeKeyAddress(cheatKey);
    const stakeBefore = (await reader.registry.nodeOf(cheatOwner.address)).stake;
    const bountyBefore = await reader.token.balanceOf(daemonKey.address);

    // The coordinator announces round 1 (a daemon validates updates only against an announced
    // round) and keeps it open. The cheat reaches only the daemon: the daemon relays the cheat's
    // first update and refuses the second, so the coordinator never sees the equivocation.
    coordinator = createCoordinator({
      privateKey: devnet.accounts[0].privateKey,
      rpcUrl: devnet.rpcUrl,
      deployments: devnet.deploymentsFile,
      dataDir: join(workDir, 'coordinator'),
      api: { port: 0 },
      round: { deadlineMs: 240_000, maxWaitMs: 240_000, closeWhenAllReported: false },
      nodes: { pollMs: 1000 },
    });
    await coordinator.start();
    const dataDir = join(workDir, 'daemon');
    await new CheckpointStore(join(dataDir, 'checkpoints')).put(genesis);
    const lines: ChildLogLine[] = [];
    const logged = (pattern: RegExp): ChildLogLine | undefined => lines.find((line) => pattern.test(String(line.msg)));
    const daemon = children.start({
      name: 'daemon',
      args: ['daemon', '--rpc', devnet.rpcUrl, '--deployments', devnet.deploymentsFile, '--data-dir', dataDir, '--keystore-dir', join(workDir, 'none'),
        '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', coordinator.multiaddrs()[0], '--inner-steps', '5', '--shard-index', '0', '--shard-count', '6', '--backend', 'wasm'],
      env: { GRADNET_NODE_PRIVATE_KEY: daemonKey.privateKey },
      onLog: (line) => lines.push(line),
    });
    const started = await waitFor('the daemon to start', () => logged(/^daemon started as node/), { timeoutMs: 90_000, child: daemon });
    const address = (started.multiaddrs as string[])[0];
    const bootstrap = address.includes('/p2p/') ? address : `${address}/p2p/${String(started.peerId)}`;

    // The cheat: a registered node key that gossips two different updates for round 1.
    const domain = gradnetDomain(devnet.chainId, devnet.deployments.contracts.RoundLedger.address);
    cheat = createGradnetNode({
      privateKey: cheatKey,
      chainId: devnet.chainId,
      ledger: devnet.deployments.contracts.RoundLedger.address,
      validator: createGossipValidator({ domain, directory: reader.registry, context: () => undefined, isCoordinator: () => false }),
      bootstrap: [bootstrap],
    });
    await cheat.start({ signal: AbortSignal.timeout(15_000) });
    await cheat.waitForTopicPeers('update', 1, { signal: AbortSignal.timeout(15_000) });
    // Let gossipsub graft its mesh before the first publish.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Two different updates for round 1, a fresh pair every second: the daemon ignores them until
    // it has heard the coordinator open round 1 and holds its model.
    let pair = 0;
    await waitFor('the slash on chain', async () => {
      if ((await reader.registry.nodeOf(cheatOwner.address)).stake === 0n) return true;
      pair += 1;
      for (const sign of [1, -1]) {
        const { payload } = encodeDelta('fp32', new Float32Array(genesis.params.length).fill((sign * pair) / 1000));
        const update = await signUpdate({ privateKey: cheatKey, domain, round: 1, baseModelHash: genesis.modelHash, samples: 64, trainLoss: 0.5, codec: 'fp32', payload });
        await cheat!.publishUpdate(update);
      }
      return undefined;
    }, { timeoutMs: 90_000, pollMs: 1000, child: daemon });
    assert.ok(stakeBefore > 0n);
    const slashedLine = await waitFor('the daemon to log the proof', () => logged(/^proved the equivocation of/), { timeoutMs: 10_000, child: daemon });
    assert.equal(slashedLine.nodeKey, cheatAddress);
    assert.equal(slashedLine.round, 1);
    const bountyBps = BigInt(DEPLOY_DEFAULTS.slashBountyBps);
    assert.ok(bountyBps > 0n, 'the devnet deploys with a bounty');
    assert.equal(await reader.token.balanceOf(daemonKey.address), bountyBefore + (stakeBefore * bountyBps) / 10_000n, "the bounty goes to the daemon's node key");
    assert.equal(lines.filter((line) => /^proved the equivocation of|could not prove|is already slashed for round/.test(String(line.msg))).length, 1, 'one proof, sent once');
    assert.equal(coordinator.roundState().phase, 'collecting', 'round 1 is still open: the coordinator did not take part');
  });
});
