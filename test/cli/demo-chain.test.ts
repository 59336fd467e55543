import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keccak256, toHex } from 'viem';
import { connectGradnet, DEPLOY_DEFAULTS, DEVNET_DEPLOY_DEFAULTS, startDevnet, type Devnet } from '../../core/chain/index.ts';
import { DEMO_MAX_CHALLENGE_WINDOW_SECONDS, prepareDemoChain } from '../../cli/index.ts';

/** `gradnet demo --rpc URL`: which contracts the demo uses on a dev chain somebody else runs. */
describe('gradnet demo --rpc: the demo chain', () => {
  let dir: string;
  let devnet: Devnet;
  const genesisHash = keccak256(toHex('demo model'));
  const lines: string[] = [];
  const options = () => ({ rpcUrl: devnet.rpcUrl, deployer: devnet.accounts[0], genesisHash, log: (line: string) => lines.push(line), signal: AbortSignal.timeout(120_000) });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-demo-chain-'));
    // The production challenge window (an hour), under which the demo would wait an hour to claim.
    devnet = await startDevnet({ port: 0, accounts: 2, fundAmount: 0n, deploy: { deploymentsFile: join(dir, 'devnet.json'), genesisModelHash: genesisHash, challengeWindowSeconds: DEPLOY_DEFAULTS.challengeWindowSeconds } });
  });
  after(async () => {
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("deploys fresh contracts with the devnet's short challenge window into the chain's address book when its own do not fit", async () => {
    const file = join(dir, 'devnet.json');
    const before = JSON.parse(await readFile(file, 'utf8')) as { contracts: { RoundLedger: { address: string } } };
    const prepared = await prepareDemoChain({ ...options(), deploymentsFile: file });
    assert.deepEqual(prepared, { rpcUrl: devnet.rpcUrl, deploymentsFile: file, reused: false });
    assert.match(lines.join('\n'), /challenge window of 3600 s is longer than the 60 s/);
    const chain = await connectGradnet({ rpcUrl: devnet.rpcUrl, deploymentsFile: file });
    assert.notEqual(chain.ledger.address, before.contracts.RoundLedger.address);
    assert.equal(await chain.ledger.challengeWindow(), DEVNET_DEPLOY_DEFAULTS.challengeWindowSeconds);
    assert.ok(DEVNET_DEPLOY_DEFAULTS.challengeWindowSeconds <= DEMO_MAX_CHALLENGE_WINDOW_SECONDS);
    assert.equal(await chain.ledger.genesisModelHash(), genesisHash);
    assert.equal(await chain.ledger.coordinator(), devnet.accounts[0].address);
  });

  it('reuses the address book when its contracts fit the demo, and refuses another genesis', async () => {
    const file = join(dir, 'devnet.json');
    const written = await readFile(file, 'utf8');
    assert.deepEqual(await prepareDemoChain({ ...options(), deploymentsFile: file }), { rpcUrl: devnet.rpcUrl, deploymentsFile: file, reused: true });
    assert.equal(await readFile(file, 'utf8'), written);
    const other = await prepareDemoChain({ ...options(), genesisHash: keccak256(toHex('another model')), deploymentsFile: file });
    assert.equal(other.reused, false);
    assert.match(lines.filter((line) => line.startsWith('deploying fresh')).at(-1) ?? '', /its genesis 0x[0-9a-f]{64} is not the demo model's/);
  });
});
