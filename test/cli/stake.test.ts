import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseEther } from 'viem';
import { connectGradnet, startDevnet, type Devnet, type GradnetChain } from '../../core/chain/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { GRADNET_BIN, NODE22 } from '../../core/process/index.ts';
import { createKeystore, importKeystore } from '../../core/wallet/index.ts';
import { registerNode } from '../../cli/index.ts';

const UNBONDING_SECONDS = 3_600;

/** `gradnet stake add|exit|withdraw` as an owner runs it: an encrypted keystore, the shared chain flags. */
describe('gradnet stake', { timeout: 180_000 }, () => {
  let dir: string;
  let devnet: Devnet;
  let chain: GradnetChain;
  let owner: `0x${string}`;
  let flags: string[];

  const gradnet = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((resolve) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GRADNET_')));
    execFile(NODE22, [GRADNET_BIN, 'stake', ...args, ...flags], { env: base, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-stake-'));
    const book = join(dir, 'devnet.json');
    devnet = await startDevnet({ port: 0, accounts: 2, blockIntervalMs: 1_000, fundAmount: parseEther('1000'), deploy: { deploymentsFile: book, unbondingPeriodSeconds: UNBONDING_SECONDS } });
    chain = await connectGradnet({ rpcUrl: devnet.rpcUrl, deployments: devnet.deployments });
    const keystoreDir = join(dir, 'keystores');
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, 'stake test\n');
    owner = (await importKeystore({ dir: keystoreDir, role: 'owner', password: 'stake test', privateKey: devnet.accounts[1].privateKey, strength: 'light' })).address as `0x${string}`;
    flags = ['--rpc', devnet.rpcUrl, '--deployments', book, '--keystore-dir', keystoreDir, '--password-file', passwordFile];
    assert.match((await gradnet(['exit'])).stderr, /has no node registered .*gradnet register --stake/);
    await createKeystore({ dir: keystoreDir, role: 'node', password: 'stake test', strength: 'light' });
    await registerNode({ config: { rpcUrl: devnet.rpcUrl, deployments: book, keystoreDir, passwordFile }, stake: parseEther('100'), logger: createLogger({ name: 'test', level: 'silent' }), env: {} });
  });
  after(async () => {
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const nodeOf = async () => {
    chain.registry.invalidate();
    return chain.registry.nodeOf(owner);
  };

  it('adds stake to the registered node', async () => {
    const added = await gradnet(['add', '50']);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout.trim(), /^0x[0-9a-f]{64}$/);
    assert.equal((await nodeOf()).stake, parseEther('150'));
  });

  it('refuses to withdraw before an exit, and says to exit first', async () => {
    const refused = await gradnet(['withdraw']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^error: .*has not asked to exit.*run `gradnet stake exit` first/);
  });

  it('exits, refuses stake while exiting, refuses to withdraw while unbonding with the time left, then withdraws', async () => {
    const exited = await gradnet(['exit']);
    assert.equal(exited.code, 0, exited.stderr);
    const node = await nodeOf();
    assert.equal(node.active, false);
    assert.ok(node.unbondingEndsAt > 0);
    assert.match((await gradnet(['exit'])).stderr, /already exiting: its stake can be withdrawn in 59m \d+s \(at .*chain time\) with `gradnet stake withdraw`/);
    assert.match((await gradnet(['add', '1'])).stderr, /is exiting .*an exiting node takes no stake/);
    const early = await gradnet(['withdraw']);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /still unbonding: its 150 GRAD can be withdrawn in (59m \d+s|1h 0m 0s) \(at .*chain time\)/);
    // The devnet's clock past the unbonding period.
    await chain.clients.publicClient.request({ method: 'evm_increaseTime', params: [UNBONDING_SECONDS] } as never);
    await chain.clients.publicClient.request({ method: 'evm_mine', params: [] } as never);
    const balance = await chain.token.balanceOf(owner);
    const withdrawn = await gradnet(['withdraw']);
    assert.equal(withdrawn.code, 0, withdrawn.stderr);
    assert.equal(await chain.token.balanceOf(owner), balance + parseEther('150'));
    assert.match((await gradnet(['withdraw'])).stderr, /has no node registered \(or has withdrawn it\): nothing to add to, exit or withdraw/);
  });
});
