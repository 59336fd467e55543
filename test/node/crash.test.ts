import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectGradnet, devOnlyAccounts, type GradnetChain } from '../../core/chain/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { initialParams } from '../../core/ml/index.ts';
import { genesisCheckpoint } from '../../core/tensor/index.ts';
import { registerNode } from '../../cli/index.ts';
import { ProcessGroup, freePort, waitFor, type ChildLogLine, type RunningChild } from '../../core/process/index.ts';

const logger = createLogger({ name: 'crash-test', level: 'warn' });

interface Daemon {
  child: RunningChild;
  lines: ChildLogLine[];
  seen: (pattern: RegExp) => true | undefined;
}

/**
 * A peer killed with SIGKILL at the worst moments (fetching the model, training, right after it
 * gossiped its commitment with the round still taking commitments) comes back, is never
 * slashed, counts once and goes on.
 */
describe('gradnet daemon killed and restarted', { timeout: 240_000 }, () => {
  const children = new ProcessGroup(logger);
  const [coordinatorKey, owner] = devOnlyAccounts(3);
  const nodeKey = devOnlyAccounts(6)[5];
  const genesisInit = initialParams('mlp', 1);
  const genesis = genesisCheckpoint(genesisInit);
  const coordinatorLines: ChildLogLine[] = [];
  let workDir = '';
  let rpcUrl = '';
  let deploymentsFile = '';
  let bootstrap = '';
  let api = '';
  let chain: GradnetChain;

  /** Starts the peer; `killOn` SIGKILLs it the moment it logs a matching line. */
  const startDaemon = (options: { name?: string; dataDir?: string; killOn?: RegExp } = {}): Daemon => {
    const lines: ChildLogLine[] = [];
    const child: RunningChild = children.start({
      name: options.name ?? 'peer',
      args: ['daemon', '--rpc', rpcUrl, '--deployments', deploymentsFile, '--data-dir', options.dataDir ?? join(workDir, 'peer'), '--keystore-dir', join(workDir, 'keys'),
        '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', bootstrap, '--inner-steps', '100', '--shard-index', '0', '--shard-count', '6', '--heartbeat-seconds', '1', '--backend', 'wasm'],
      env: { GRADNET_NODE_PRIVATE_KEY: nodeKey.privateKey },
      onLog: (line) => {
        lines.push(line);
        if (options.killOn?.test(String(line.msg))) process.kill(-child.pid, 'SIGKILL');
      },
    });
    return { child, lines, seen: (pattern) => (lines.some((line) => pattern.test(String(line.msg))) ? true : undefined) };
  };
  const roundUpdates = async (round: number): Promise<Array<{ nodeKey: string; verdict: string }>> => {
    const response = await fetch(`${api}/rounds/${round}`);
    return response.ok ? ((await response.json()) as { updates: Array<{ nodeKey: string; verdict: string }> }).updates : [];
  };

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'gradnet-crash-test-'));
    const port = await freePort();
    deploymentsFile = join(workDir, 'deployments.json');
    const devnet = children.start({ name: 'devnet', args: ['devnet', '--port', String(port), '--accounts', '3', '--genesis-hash', genesis.modelHash, '--deployments', deploymentsFile] });
    await waitFor('the devnet', () => (devnet.stdout().includes('press Ctrl-C') ? true : undefined), { timeoutMs: 120_000, child: devnet });
    rpcUrl = `http://127.0.0.1:${port}`;
    chain = await connectGradnet({ rpcUrl, deploymentsFile });
    await registerNode({
      config: { rpcUrl, deployments: deploymentsFile, keystoreDir: join(workDir, 'keys') },
      stake: 100n * 10n ** 18n,
      logger,
      env: { GRADNET_OWNER_PRIVATE_KEY: owner.privateKey, GRADNET_NODE_PRIVATE_KEY: nodeKey.privateKey },
    });
    const config = join(workDir, 'coordinator.json');
    // One peer and a round that takes commitments for 20 s after it opens: room for a restart between commit and reveal, even on a busy machine.
    await writeFile(config, JSON.stringify({
      rpcUrl, deployments: deploymentsFile, dataDir: join(workDir, 'coordinator'), listen: [`/ip4/127.0.0.1/tcp/${await freePort()}`],
      api: { host: '127.0.0.1', port: 0 }, model: { name: 'mlp' }, modelSeed: 1,
      round: { quorum: 1, deadlineMs: 20_000, closeWhenAllReported: false }, nodes: { pollMs: 500 },
    }));
    let ready: { address: string; api: string } | undefined;
    const coordinator = children.start({
      name: 'coordinator', args: ['coordinator', '--config', config], env: { GRADNET_COORDINATOR_PRIVATE_KEY: coordinatorKey.privateKey },
      onLog: (line) => {
        coordinatorLines.push(line);
        if (line.msg === 'coordinator running') ready = { address: (line.addresses as string[])[0], api: String(line.api) };
      },
    });
    ({ address: bootstrap, api } = await waitFor('the coordinator', () => ready, { timeoutMs: 90_000, child: coordinator }));
  });

  after(async () => {
    await children.stopAll();
    await rm(workDir, { recursive: true, force: true });
  });

  it('resumes after SIGKILL while fetching the model and while training', async () => {
    const fetching = startDaemon({ killOn: /^round 1 is open on model/ });
    assert.equal(await fetching.child.exited, 'SIGKILL');
    const training = startDaemon({ killOn: /^training round 1/ });
    assert.equal(await training.child.exited, 'SIGKILL');
    assert.ok(!training.seen(/^gossiped update/), 'killed before it could gossip');
  });

  it('after SIGKILL between commit and reveal, re-sends the same commitment, then the same update: not slashed, counted once, and contributes to the next round', async () => {
    const first = startDaemon({ killOn: /^gossiped the commitment to its update for round 2;/ });
    assert.equal(await first.child.exited, 'SIGKILL');
    assert.ok(first.seen(/^gossiped update for round 1 /), 'it resumed after the earlier kills and contributed to round 1');
    assert.ok(!first.seen(/^gossiped update for round 2 /), 'killed before the reveal');
    assert.equal(await chain.ledger.roundCount(), 1, 'round 2 is still open');
    const restarted = startDaemon();
    await waitFor('the commitment of round 2 re-sent', () => restarted.seen(/^re-sent the commitment to its update for round 2;/), { timeoutMs: 30_000, child: restarted.child });
    await waitFor('the update of round 2 re-sent on the reveal', () => restarted.seen(/^re-sent update for round 2/), { timeoutMs: 30_000, child: restarted.child });
    assert.ok(!restarted.seen(/^training round 2/), 'round 2 was not trained (nor signed) again');

    // Meanwhile, a second daemon with the same node key (its own data directory) refuses to start.
    const twin = startDaemon({ name: 'twin', dataDir: join(workDir, 'twin') });
    assert.equal(await twin.child.exited, 1);
    const errors = twin.lines.filter((line) => String(line.msg).startsWith('error: '));
    assert.equal(errors.length, 1);
    assert.match(String(errors[0].msg), new RegExp(`another gradnet daemon \\(pid ${restarted.child.pid}\\) already runs with node key ${nodeKey.address}`));

    const ours = (updates: Array<{ nodeKey: string; verdict: string }>) => updates.filter((update) => update.nodeKey.toLowerCase() === nodeKey.address.toLowerCase());
    await waitFor('its update of round 3 accepted', async () => (ours(await roundUpdates(3)).some((update) => update.verdict === 'accepted') ? true : undefined), { timeoutMs: 60_000, child: restarted.child });
    const round2 = await chain.ledger.getRound(2);
    assert.equal(round2.contributors, 1);
    assert.deepEqual(ours(await roundUpdates(2)).map((update) => update.verdict), ['accepted']);
    assert.equal(await chain.registry.isActive(nodeKey.address), true, 'not slashed');
    assert.ok(!coordinatorLines.some((line) => /slash|equivocation/i.test(String(line.msg))), 'the coordinator saw no equivocation');
  });
});
