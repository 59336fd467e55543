import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { DaemonAlreadyRunningError, FilePeerStore } from '../../node/index.ts';

const NODE_KEY: Hex = `0x${'ab'.repeat(20)}`;
const record = {
  update: { round: 3, baseModelHash: `0x${'01'.repeat(32)}` as Hex, digest: `0x${'dd'.repeat(32)}` as Hex, bytes: Uint8Array.of(1, 2, 3, 250) },
  // A view at an odd offset, as a residual cut from a larger buffer could be.
  residual: new Float32Array(new Float32Array([9, 0.5, -2.25, 1e-7, 3]).buffer, 4, 3),
};

describe('FilePeerStore', () => {
  let dir = '';
  const storeIn = (name: string, keystore = 'keys') => new FilePeerStore({ dataDir: join(dir, name), nodeKey: NODE_KEY, keystoreDir: join(dir, keystore) });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-peer-store-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back what it wrote, after the store is closed and opened again', async () => {
    const store = storeIn('a');
    assert.equal(await store.open(), undefined);
    await store.save(record);
    await store.close();
    const reopened = storeIn('a');
    const read = await reopened.open();
    await reopened.close();
    assert.deepEqual(read?.update, record.update);
    assert.deepEqual(read?.residual, Float32Array.of(0.5, -2.25, 1e-7));
  });

  it('lets one daemon at a time have a data directory or a node key', async () => {
    const first = storeIn('b');
    await first.open();
    await assert.rejects(storeIn('b', 'other-keys').open(), (error: Error) => error instanceof DaemonAlreadyRunningError && /data directory .*b/.test(error.message));
    await assert.rejects(storeIn('c').open(), (error: Error) => error instanceof DaemonAlreadyRunningError && error.message.includes(`node key ${NODE_KEY}`));
    await first.close();
    const next = storeIn('c');
    await next.open();
    await next.close();
  });

  it('takes over a lock left by a process that is gone', async () => {
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(gone !== undefined);
    const store = storeIn('d');
    await store.open();
    await store.close();
    await writeFile(join(dir, 'd', 'daemon.lock'), `${gone}\n`);
    await writeFile(join(dir, 'keys', `node-${NODE_KEY}.lock`), `${gone}\n`);
    const again = storeIn('d');
    await again.open();
    assert.equal(await readFile(join(dir, 'd', 'daemon.lock'), 'utf8'), `${process.pid}\n`);
    await again.close();
  });
});
