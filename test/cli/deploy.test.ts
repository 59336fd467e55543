import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { connectGradnet, startDevnet, type Devnet } from '../../core/chain/index.ts';
import { initialParams } from '../../core/ml/index.ts';
import { genesisCheckpoint } from '../../core/tensor/index.ts';

const gradnet = fileURLToPath(new URL('../../bin/gradnet.js', import.meta.url));

function runDeploy(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GRADNET_')));
    const child = spawn(process.execPath, [gradnet, 'deploy', ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('gradnet deploy', () => {
  let dir: string;
  let devnet: Devnet;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-deploy-cli-'));
    devnet = await startDevnet({ port: 0, accounts: 1, fundAmount: 0n, deploy: { deploymentsFile: join(dir, 'devnet.json') } });
  });
  after(async () => {
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('deploys with the key from the environment and the genesis of --model/--model-seed, prints the address book and reuses it next time', async () => {
    const file = join(dir, 'cli.json');
    const env = { GRADNET_DEPLOYER_KEY: devnet.accounts[0].privateKey };
    const first = await runDeploy(['--rpc', devnet.rpcUrl, '--deployments', file, '--min-stake', '5', '--model', 'cnn', '--model-seed', '2'], env);
    assert.equal(first.code, 0, first.stderr);
    const printed = JSON.parse(first.stdout) as { chainId: number; contracts: Record<string, unknown> };
    assert.deepEqual(printed, JSON.parse(await readFile(file, 'utf8')));
    assert.equal(printed.chainId, 31337);
    const genesis = genesisCheckpoint(initialParams('cnn', 2)).modelHash;
    assert.match(first.stderr, new RegExp(`genesis model hash ${genesis} \\(model cnn, seed 2, dataset mnist\\)`));
    assert.equal(await (await connectGradnet({ rpcUrl: devnet.rpcUrl, deploymentsFile: file })).ledger.genesisModelHash(), genesis);
    // The old flag name still works, with a warning.
    const second = await runDeploy(['--rpc-url', devnet.rpcUrl, '--deployments', file, '--model', 'cnn', '--model-seed', '2'], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /warning: --rpc-url is deprecated.*use --rpc/);
    assert.match(second.stderr, /reusing the deployment/);
    assert.deepEqual(JSON.parse(second.stdout), printed);
    // GRADNET_RPC_URL and GRADNET_DEPLOYMENTS, as every other command reads them.
    const third = await runDeploy(['--genesis-hash', genesis], { ...env, GRADNET_RPC_URL: devnet.rpcUrl, GRADNET_DEPLOYMENTS: file });
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stderr, /reusing the deployment/);
    // Another model's genesis is not this deployment's: say so, and how to get a new one.
    const other = await runDeploy(['--rpc', devnet.rpcUrl, '--deployments', file], env);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /genesis 0x[0-9a-f]{64} was asked for; deploy a new set with --fresh/);
  });

  it('refuses --genesis-hash beside --model', async () => {
    const result = await runDeploy(['--rpc', devnet.rpcUrl, '--genesis-hash', `0x${'1'.repeat(64)}`, '--model', 'mlp'], { GRADNET_DEPLOYER_KEY: devnet.accounts[0].privateKey });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /either --genesis-hash or --model\/--model-seed\/--dataset, not both/);
  });

  it('names an unreachable RPC URL and exits 1', async () => {
    const result = await runDeploy(['--rpc', 'http://127.0.0.1:9', '--deployments', join(dir, 'never.json')], { GRADNET_DEPLOYER_KEY: devnet.accounts[0].privateKey });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /http:\/\/127\.0\.0\.1:9 did not answer/);
  });
});
