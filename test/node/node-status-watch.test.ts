import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseEther, zeroAddress, type Address } from 'viem';
import { connectGradnet, startDevnet, type RegisteredNode } from '../../core/chain/index.ts';
import { daemonConfigSchema } from '../../core/config/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { createKeystore, importKeystore } from '../../core/wallet/index.ts';
import { registerNode } from '../../cli/index.ts';
import { createPeerDaemon, nodeStanding, NodeNotRegisteredError, stopOnLostStanding, type LostStanding, type StandingSource } from '../../node/index.ts';

const logger = createLogger({ name: 'standing-test', level: 'silent' });
const NODE_KEY = '0x00000000000000000000000000000000000000aa' as Address;
const OWNER = '0x00000000000000000000000000000000000000bb' as Address;
const MIN_STAKE = parseEther('100');
const active: RegisteredNode = { owner: OWNER, nodeKey: NODE_KEY, stake: MIN_STAKE, unbondingEndsAt: 0, active: true };

describe('nodeStanding', () => {
  it('is undefined for an active node', () => {
    assert.equal(nodeStanding(NODE_KEY, OWNER, active, MIN_STAKE), undefined);
  });

  it('names the fix for each way a node loses its standing', () => {
    const slashed = nodeStanding(NODE_KEY, OWNER, { ...active, stake: 0n, active: false }, MIN_STAKE);
    assert.equal(slashed?.reason, 'below-minimum');
    assert.match(slashed?.message ?? '', /it was slashed.*Fix: `gradnet stake add 100 --owner 0x0+bb`/);
    const raised = nodeStanding(NODE_KEY, OWNER, { ...active, stake: parseEther('60') }, MIN_STAKE);
    assert.match(raised?.message ?? '', /the minimum was raised.*`gradnet stake add 40 --owner/);
    const exiting = nodeStanding(NODE_KEY, OWNER, { ...active, unbondingEndsAt: 1_800_000_000, active: false }, MIN_STAKE);
    assert.equal(exiting?.reason, 'exiting');
    assert.match(exiting?.message ?? '', /`gradnet stake withdraw --owner 0x0+bb` after 2027-01-15T08:00:00Z/);
    const rotated = nodeStanding(NODE_KEY, OWNER, { ...active, nodeKey: '0x00000000000000000000000000000000000000cc' }, MIN_STAKE);
    assert.match(rotated?.message ?? '', /replaced it with node key 0x0+cc.*`gradnet daemon --node 0x0+cc`/);
    const withdrawn = nodeStanding(NODE_KEY, OWNER, { ...active, nodeKey: zeroAddress, stake: 0n }, MIN_STAKE);
    assert.equal(withdrawn?.reason, 'unregistered');
    assert.match(nodeStanding(NODE_KEY, undefined, undefined, MIN_STAKE)?.message ?? '', /`gradnet register --stake <GRAD> --node 0x0+aa`/);
  });
});

describe('stopOnLostStanding', () => {
  /** A registry whose answers the test sets, and a daemon that records start and stop. */
  function setup(answers: (RegisteredNode | Error)[]) {
    let reads = 0;
    const source: StandingSource = {
      ownerOf: async () => OWNER,
      nodeOf: async () => {
        const answer = answers[Math.min(reads++, answers.length - 1)];
        if (answer instanceof Error) throw answer;
        return answer;
      },
      minStake: async () => MIN_STAKE,
    };
    const events: string[] = [];
    const lost: LostStanding[] = [];
    const daemon = stopOnLostStanding({
      start: async () => void events.push('start'),
      stop: async () => void events.push('stop'),
    }, { source, nodeKey: NODE_KEY, logger, pollMs: 10, onLost: (standing) => lost.push(standing) });
    return { daemon, events, lost, reads: () => reads };
  }
  const slashed = { ...active, stake: 0n, active: false };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('stops the daemon once its node has been seen inactive twice in a row, and tells the caller why', async () => {
    const { daemon, events, lost } = setup([active, slashed, slashed]);
    await daemon.start();
    for (let waited = 0; lost.length === 0 && waited < 2_000; waited += 10) await sleep(10);
    assert.deepEqual(events, ['start', 'stop']);
    assert.equal(lost.length, 1);
    assert.equal(lost[0].reason, 'below-minimum');
  });

  it('does not stop on one inactive answer, nor on reads that fail', async () => {
    const { daemon, events, lost, reads } = setup([slashed, active, new Error('rpc down'), slashed, new Error('rpc down'), active]);
    await daemon.start();
    while (reads() < 8) await sleep(10);
    await daemon.stop();
    assert.deepEqual(events, ['start', 'stop']);
    assert.deepEqual(lost, []);
  });
});

describe('createPeerDaemon for a node that lost its standing', { timeout: 120_000 }, () => {
  it('refuses to start and names the command that fixes it (an exiting node: gradnet stake withdraw)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradnet-standing-'));
    const devnet = await startDevnet({ port: 0, accounts: 2, deploy: { deploymentsFile: join(dir, 'devnet.json') } });
    try {
      const keystoreDir = join(dir, 'keystores');
      const passwordFile = join(dir, 'password');
      await writeFile(passwordFile, 'standing\n');
      await importKeystore({ dir: keystoreDir, role: 'owner', password: 'standing', privateKey: devnet.accounts[1].privateKey, strength: 'light' });
      await createKeystore({ dir: keystoreDir, role: 'node', password: 'standing', strength: 'light' });
      const config = { rpcUrl: devnet.rpcUrl, deployments: join(dir, 'devnet.json'), keystoreDir, passwordFile };
      await registerNode({ config, stake: parseEther('100'), logger, env: {} });
      const owner = await connectGradnet({ rpcUrl: devnet.rpcUrl, deployments: devnet.deployments, account: devnet.accounts[1].privateKey });
      await owner.registryClient.requestExit();
      const daemonConfig = daemonConfigSchema.parse({ ...config, dataDir: join(dir, 'node') });
      await assert.rejects(createPeerDaemon(daemonConfig, { logger, env: {} }), (error: unknown) =>
        error instanceof NodeNotRegisteredError && /asked it to exit.*`gradnet stake withdraw --owner 0x[0-9a-fA-F]{40}` after/.test(error.message));
    } finally {
      await devnet.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
