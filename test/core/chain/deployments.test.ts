import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeploymentsError, deploymentsFile, loadDeployments, writeDeployments, type Deployments } from '../../../core/chain/index.ts';

const sample: Deployments = {
  chainId: 31337,
  contracts: {
    GradToken: { address: '0x5FbDB2315678afecb367f032d93F642f64180aa3', blockNumber: 1 },
    NodeRegistry: { address: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9', blockNumber: 4 },
    RoundLedger: { address: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512', blockNumber: 2 },
    RewardVault: { address: '0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9', blockNumber: 5 },
    RoundChallenges: { address: '0x5FC8d32690cc91D4c39d9d3abcBD16989F875707', blockNumber: 6 },
    GradnetTimelock: { address: '0x0165878A594ca255338adfa4d48449f69242Eb8F', blockNumber: 3 },
  },
};

describe('deployments address book', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-deployments-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('defaults to deployments/<chainId>.json in the repository', () => {
    assert.match(deploymentsFile(31337), /deployments\/31337\.json$/);
    assert.equal(deploymentsFile(5, '/x'), '/x/5.json');
  });

  it('writes the agreed shape atomically and reads it back', async () => {
    const file = join(dir, '31337.json');
    await writeDeployments(sample, file);
    assert.deepEqual(await readdir(dir), ['31337.json']);
    const text = await readFile(file, 'utf8');
    assert.deepEqual(JSON.parse(text), sample);
    assert.deepEqual(Object.keys(JSON.parse(text).contracts), ['GradToken', 'NodeRegistry', 'RoundLedger', 'RewardVault', 'RoundChallenges', 'GradnetTimelock']);
    assert.deepEqual(await loadDeployments(31337, file), sample);
  });

  it('normalises lower-case addresses to checksummed ones', async () => {
    const file = join(dir, 'lower.json');
    const lower = structuredClone(sample);
    lower.contracts.GradToken.address = sample.contracts.GradToken.address.toLowerCase() as `0x${string}`;
    await writeFile(file, JSON.stringify(lower));
    assert.equal((await loadDeployments(31337, file)).contracts.GradToken.address, sample.contracts.GradToken.address);
  });

  it('refuses to write an invalid book and leaves the old file untouched', async () => {
    const file = join(dir, 'keep.json');
    await writeDeployments(sample, file);
    const broken = structuredClone(sample) as unknown as { contracts: { RewardVault: { address: string } } };
    broken.contracts.RewardVault.address = '0x1234';
    await assert.rejects(writeDeployments(broken as unknown as Deployments, file), (error: unknown) => {
      assert.ok(error instanceof DeploymentsError);
      assert.match(error.message, /contracts\.RewardVault\.address/);
      return true;
    });
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), sample);
    assert.ok(!(await readdir(dir)).some((name) => name.endsWith('.tmp')));
  });

  it('fails clearly on a missing file, bad JSON, a wrong shape and another chain', async () => {
    await assert.rejects(loadDeployments(1, join(dir, 'missing.json')), /cannot read the deployments of chain 1.*gradnet deploy/);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"chainId": 31337,');
    await assert.rejects(loadDeployments(31337, bad), /is not valid JSON/);
    const shape = join(dir, 'shape.json');
    await writeFile(shape, JSON.stringify({ chainId: 31337, contracts: { GradToken: sample.contracts.GradToken } }));
    await assert.rejects(loadDeployments(31337, shape), /contracts\.NodeRegistry/);
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ ...sample, chainId: 5 }));
    await assert.rejects(loadDeployments(31337, other), (error: unknown) => error instanceof DeploymentsError && /is for chain 5, not chain 31337/.test(error.message));
  });

  it('reports a write that cannot happen without leaving a temporary file', async () => {
    const notADir = join(dir, 'plain-file');
    await writeFile(notADir, 'x');
    await assert.rejects(writeDeployments(sample, join(notADir, '31337.json')), DeploymentsError);
    // The rename onto a directory fails after the temporary file was written: it is cleaned up.
    const occupied = await mkdtemp(join(dir, 'occupied-'));
    await mkdir(join(occupied, '31337.json'));
    await assert.rejects(writeDeployments(sample, join(occupied, '31337.json')), /could not be written/);
    assert.deepEqual(await readdir(occupied), ['31337.json']);
  });
});
