import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { devOnlyAccounts } from '../../core/chain/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { freePort, GRADNET_BIN, NODE22, ProcessGroup, waitFor } from '../../core/process/index.ts';

const logger = createLogger({ name: 'test', level: 'silent' });

/** `gradnet coordinator` run as an operator would: GRADNET_* variables, the shared flag names. */
describe('gradnet coordinator: the operator path', { timeout: 240_000 }, () => {
  const children = new ProcessGroup(logger);
  let dir: string;
  let rpcUrl: string;
  let book: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-coordinator-cli-'));
    const port = await freePort();
    book = join(dir, 'devnet.json');
    // No genesis flag: the devnet deploys the default model's genesis, which the coordinator builds by default.
    const devnet = children.start({ name: 'devnet', args: ['devnet', '--port', String(port), '--accounts', '1', '--deployments', book] });
    await waitFor('the devnet', () => (devnet.stdout().includes('press Ctrl-C') ? true : undefined), { timeoutMs: 120_000, child: devnet });
    rpcUrl = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await children.stopAll();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts against `gradnet devnet` with no flag but its data directory, from GRADNET_RPC_URL and GRADNET_DEPLOYMENTS', async () => {
    let running: Record<string, unknown> | undefined;
    const errors: string[] = [];
    const coordinator = children.start({
      name: 'coordinator',
      args: ['coordinator', '--data-dir', join(dir, 'coordinator'), '--api-port', '0', '--listen', '/ip4/127.0.0.1/tcp/0'],
      env: { GRADNET_RPC_URL: rpcUrl, GRADNET_DEPLOYMENTS: book, GRADNET_COORDINATOR_PRIVATE_KEY: devOnlyAccounts(1)[0].privateKey },
      onLog: (line) => {
        if (line.msg === 'coordinator running') running = line;
        if ((line.level ?? 0) >= 50) errors.push(String(line.msg));
      },
    });
    await waitFor('the coordinator to start', () => running, { timeoutMs: 120_000, child: coordinator });
    assert.deepEqual(errors, []);
    await children.stop(coordinator.pid);
  });

  it('takes --rpc over GRADNET_RPC_URL, and --rpc-url still, with a deprecation warning; refuses a GRADNET_MDNS that is not a boolean', async () => {
    const run = (args: string[], env: Record<string, string> = {}): Promise<{ stderr: string; code: number }> => new Promise((resolve) => {
      const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GRADNET_')));
      execFile(NODE22, [GRADNET_BIN, 'coordinator', '--data-dir', join(dir, 'refused'), ...args], {
        env: { ...base, GRADNET_RPC_URL: rpcUrl, GRADNET_DEPLOYMENTS: book, GRADNET_COORDINATOR_PRIVATE_KEY: devOnlyAccounts(1)[0].privateKey, ...env },
        timeout: 60_000,
      }, (error, _stdout, stderr) => resolve({ stderr, code: error ? Number((error as { code?: number }).code ?? 1) : 0 }));
    });
    const flag = await run(['--rpc', 'http://127.0.0.1:9']);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /http:\/\/127\.0\.0\.1:9 did not answer/);
    const old = await run(['--rpc-url', 'http://127.0.0.1:9']);
    assert.equal(old.code, 1);
    assert.match(old.stderr, /warning: --rpc-url is deprecated.*use --rpc/);
    assert.match(old.stderr, /http:\/\/127\.0\.0\.1:9 did not answer/);
    const badBook = await run(['--deployments', join(dir, 'missing.json')]);
    assert.equal(badBook.code, 1);
    assert.match(badBook.stderr, /missing\.json/);
    const badMdns = await run(['--rpc', 'http://127.0.0.1:9'], { GRADNET_MDNS: 'maybe' });
    assert.equal(badMdns.code, 1);
    assert.match(badMdns.stderr, /GRADNET_MDNS/);
  });
});
