import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startDevnet, type Devnet } from '../../core/chain/index.ts';

const gradnet = fileURLToPath(new URL('../../bin/gradnet.js', import.meta.url));

function runDeploy(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [gradnet, 'deploy', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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

  it('deploys with the key from the environment, prints the address book and reuses it next time', async () => {
    const file = join(dir, 'cli.json');
    const env = { GRADNET_DEPLOYER_KEY: devnet.accounts[0].privateKey };
    const first = await runDeploy(['--rpc-url', devnet.rpcUrl, '--deployments', file, '--min-stake', '5'], env);
    assert.equal(first.code, 0, first.stderr);
    const printed = JSON.parse(first.stdout) as { chainId: number; contracts: Record<string, unknown> };
    assert.deepEqual(printed, JSON.parse(await readFile(file, 'utf8')));
    assert.equal(printed.chainId, 31337);
    const second = await runDeploy(['--rpc-url', devnet.rpcUrl, '--deployments', file], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /reusing the deployment/);
    assert.deepEqual(JSON.parse(second.stdout), printed);
  });

  it('names an unreachable RPC URL and exits 1', async () => {
    const result = await runDeploy(['--rpc-url', 'http://127.0.0.1:9', '--deployments', join(dir, 'never.json')], { GRADNET_DEPLOYER_KEY: devnet.accounts[0].privateKey });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /http:\/\/127\.0\.0\.1:9 did not answer/);
  });
});
