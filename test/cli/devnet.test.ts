import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { connectGradnet } from '../../core/chain/index.ts';
import { initialParams } from '../../core/ml/index.ts';
import { freePort } from '../../core/process/index.ts';
import { genesisCheckpoint } from '../../core/tensor/index.ts';

const gradnet = fileURLToPath(new URL('../../bin/gradnet.js', import.meta.url));

/** Runs `gradnet devnet …`; resolves with the child once `ready` appears on stdout. */
function startCli(args: string[], ready: RegExp) {
  const child = spawn(process.execPath, [gradnet, 'devnet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${ready}" within 60 s; stdout: ${stdout} stderr: ${stderr}`)), 60_000);
    child.stdout.on('data', () => {
      if (ready.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { child, started, exited, output: () => ({ stdout, stderr }) };
}

describe('gradnet devnet', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-devnet-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves JSON-RPC on --host, deploys the default model\'s real genesis, prints the addresses, and stops on SIGTERM', async () => {
    const port = await freePort();
    const file = join(dir, '31337.json');
    const run = startCli(['--host', '0.0.0.0', '--port', String(port), '--accounts', '2', '--deployments', file], /press Ctrl-C to stop/);
    try {
      await run.started;
      const { stdout } = run.output();
      assert.match(stdout, new RegExp(`JSON-RPC http://127\\.0\\.0\\.1:${port} \\(chain 31337\\)`));
      assert.match(stdout, new RegExp(`listening on 0\\.0\\.0\\.0:${port}`));
      // The genesis of the model the coordinator trains by default (mlp, seed 1), not a placeholder.
      const genesis = genesisCheckpoint(initialParams('mlp', 1)).modelHash;
      assert.match(stdout, new RegExp(`genesis model hash: ${genesis} \\(model mlp, seed 1, dataset mnist\\)`));
      const chain = await connectGradnet({ rpcUrl: `http://127.0.0.1:${port}`, deploymentsFile: file });
      assert.equal(await chain.ledger.genesisModelHash(), genesis);
      // Every interface: 127.0.0.2 is loopback too, but a server bound to 127.0.0.1 alone would refuse it.
      const remote = await fetch(`http://127.0.0.2:${port}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      assert.equal(((await remote.json()) as { result: string }).result, '0x7a69');
      assert.match(stdout, /DEV-ONLY accounts/);
      const book = JSON.parse(await readFile(file, 'utf8')) as { contracts: Record<string, { address: string }> };
      for (const [name, { address }] of Object.entries(book.contracts)) assert.match(stdout, new RegExp(`${name}\\s+${address}`));
      const answer = await fetch(`http://127.0.0.1:${port}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      });
      assert.equal(((await answer.json()) as { result: string }).result, '0x7a69');
    } finally {
      run.child.kill('SIGTERM');
    }
    assert.equal(await run.exited, 0);
    assert.match(run.output().stdout, /devnet stopped/);
  });

  it('exits non-zero and says so on a busy port', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const run = startCli(['--port', String(port), '--deployments', join(dir, 'busy.json')], /never/);
      assert.equal(await run.exited, 1);
      assert.match(run.output().stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      blocker.close();
    }
  });

  it('rejects a malformed port before starting anything', async () => {
    const run = startCli(['--port', 'eighty'], /never/);
    assert.notEqual(await run.exited, 0);
    assert.match(run.output().stderr, /"eighty" is not a port/);
  });

  it('prints its help', async () => {
    const run = startCli(['--help'], /never/);
    assert.equal(await run.exited, 0);
    assert.match(run.output().stdout, /--port <port>[\s\S]*--accounts <n>[\s\S]*--fund <grad>\s+GRAD minted to each account \(default: 10000\)/);
  });
});
