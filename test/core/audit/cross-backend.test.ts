import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const CHILD = fileURLToPath(new URL('./cross-backend-child.ts', import.meta.url));
const PEERS = 4;

interface Settled {
  root: string;
  points: string[];
  rewards: string[];
  baseLoss: number;
}

/** Runs the child on `backend` as its own process (a host of its own: tfjs keeps one backend per process). */
async function host(backend: 'cpu' | 'wasm', ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    env: { ...process.env, GRADNET_BACKEND: backend },
    timeout: 240_000,
    maxBuffer: 1 << 20,
  });
  return stdout;
}

let dir: string;

describe('settleRound across tfjs backends (issue 12 §3: auditors recompute the rewards root bit for bit)', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-cross-backend-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same root on a cpu host and a wasm host, for deltas trained on both backends; tfjs-scored, the two hosts would disagree', { timeout: 600_000 }, async () => {
    // Half the peers train on wasm, half on cpu, as a real network's peers would.
    await Promise.all([host('wasm', 'train', dir, '0', String(PEERS / 2)), host('cpu', 'train', dir, String(PEERS / 2), String(PEERS / 2))]);
    const [onCpu, onWasm] = (await Promise.all([host('cpu', 'settle', dir, String(PEERS)), host('wasm', 'settle', dir, String(PEERS))])).map(
      (stdout) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { backend: string; reference: Settled; tfjs: Settled },
    );
    assert.deepEqual([onCpu.backend, onWasm.backend], ['cpu', 'wasm']);
    assert.equal(onCpu.reference.points.filter((points) => points !== '0').length, PEERS, 'every trained update lowers the loss: the root pays all of them');
    assert.deepEqual(onWasm.reference, onCpu.reference, 'the coordinator on one backend and the auditor on the other settle the same round');
    assert.notEqual(onWasm.tfjs.baseLoss, onCpu.tfjs.baseLoss, "tfjs' own losses differ across the two hosts: what a tfjs-scored round could not survive");
  });
});
