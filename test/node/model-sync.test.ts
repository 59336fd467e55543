import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { applyRound } from '../../core/audit/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { BlobFetchError, createGradnetNode, type BlobSource, type GradnetNode } from '../../core/p2p/index.ts';
import { createGossipValidator } from '../../core/protocol/index.ts';
import { CheckpointStore, encodeCheckpoint, genesisCheckpoint, type Checkpoint } from '../../core/tensor/index.ts';
import { CheckpointModels } from '../../node/model-sync.ts';
import { DOMAIN, LEDGER, MemoryDirectory, context, newNodeKey } from '../core/protocol/fixtures.ts';
import { forgeCheckpoint } from '../core/tensor/forged-checkpoint.ts';

const logger = createLogger({ name: 'test', level: 'silent' });

/** Serves one set of bytes for the checkpoint hash and counts how often it was asked. */
class FixedSource implements BlobSource {
  requests = 0;

  constructor(
    private readonly hash: Hex,
    private readonly bytes: Uint8Array,
  ) {}

  async getBytes(hash: Hex): Promise<Uint8Array | undefined> {
    if (hash.toLowerCase() !== this.hash.toLowerCase()) return undefined;
    this.requests++;
    return this.bytes;
  }
}

function node(blobStore?: BlobSource): GradnetNode {
  const validator = createGossipValidator({ domain: DOMAIN, directory: new MemoryDirectory(), context: () => context(), isCoordinator: () => false });
  return createGradnetNode({ privateKey: newNodeKey().privateKey, chainId: DOMAIN.chainId, ledger: LEDGER, validator, blobStore, blob: { timeoutMs: 4000 } });
}

/** A round-1 checkpoint (it has momentum and aggregation settings) of a small MLP-shaped model. */
function roundOne(): Checkpoint {
  const layout = [{ name: 'w', shape: [4, 8] }, { name: 'b', shape: [8] }];
  const params = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i) * 0.01);
  const parent = genesisCheckpoint({ layout, params, spec: { name: 'mlp', hidden: 8 } });
  const delta = Float32Array.from({ length: 40 }, (_, i) => Math.cos(i) * 0.01);
  return applyRound({ parent, round: 1, updates: [{ digest: `0x${'11'.repeat(32)}`, delta, samples: 64 }], aggregation: { rule: 'mean' } }).checkpoint;
}

describe('a daemon fetching a model from a peer that serves it altered', { timeout: 60_000 }, () => {
  const honest = roundOne();
  const hash = honest.modelHash;
  const momentum = honest.momentum!.map((value, i) => value + (i % 2 === 0 ? 1 : -1));
  const forgers = [
    new FixedSource(hash, forgeCheckpoint(honest, { meta: { ...honest.meta, model: { name: 'cnn', filters: [4, 8], kernelSize: 3 } } })),
    new FixedSource(hash, forgeCheckpoint(honest, { meta: { ...honest.meta, aggregation: { rule: 'nonsense' } } })),
    new FixedSource(hash, forgeCheckpoint(honest, { momentum })),
    new FixedSource(hash, new TextEncoder().encode('not a checkpoint at all, just bytes that claim the hash')),
  ];
  const honestSource = new FixedSource(hash, encodeCheckpoint(honest));
  const forgerNodes = forgers.map((source) => node(source));
  const honestNode = node(honestSource);
  const client = node();
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradnet-model-sync-'));
    await Promise.all([...forgerNodes, honestNode, client].map((peer) => peer.start({ signal: AbortSignal.timeout(30_000) })));
    for (const forger of forgerNodes) await client.dial(forger.multiaddrs()[0], { signal: AbortSignal.timeout(30_000) });
  });

  after(async () => {
    await Promise.allSettled([...forgerNodes, honestNode, client].map((peer) => peer.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  test('refuses altered meta, altered momentum and undecodable bytes, stores nothing, then takes the model from an honest peer', async () => {
    const store = new CheckpointStore(join(dir, 'refuse'));
    const models = new CheckpointModels({ store, p2p: client, logger });
    await assert.rejects(models.checkpoint(hash, { signal: AbortSignal.timeout(20_000) }), (error: unknown) => {
      assert.ok(error instanceof BlobFetchError, String(error));
      assert.deepEqual(error.attempts.map((attempt) => attempt.failure), forgers.map(() => 'hash_mismatch'));
      return true;
    });
    assert.deepEqual(forgers.map((source) => source.requests), [1, 1, 1, 1]);
    assert.equal(await store.has(hash), false);

    await client.dial(honestNode.multiaddrs()[0], { signal: AbortSignal.timeout(30_000) });
    const fetched = await models.checkpoint(hash, { signal: AbortSignal.timeout(20_000) });
    assert.deepEqual(fetched.momentum, honest.momentum);
    assert.deepEqual(fetched.meta, honest.meta);
    assert.equal(honestSource.requests, 1);
    assert.deepEqual((await store.get(hash)).params, honest.params);
  });

  test('one fetch serves every caller that wants the model at once; a caller that gives up fails alone', async () => {
    const lone = node();
    await lone.start({ signal: AbortSignal.timeout(30_000) });
    try {
      await lone.dial(honestNode.multiaddrs()[0], { signal: AbortSignal.timeout(30_000) });
      const before = honestSource.requests;
      const models = new CheckpointModels({ store: new CheckpointStore(join(dir, 'shared')), p2p: lone, logger });
      const impatient = new AbortController();
      const gaveUp = models.checkpoint(hash, { signal: impatient.signal });
      const waiting = [models.checkpoint(hash), models.checkpoint(hash, { signal: AbortSignal.timeout(20_000) })];
      impatient.abort(new Error('the caller gave up'));
      await assert.rejects(gaveUp, /the caller gave up/);
      for (const fetched of await Promise.all(waiting)) assert.deepEqual(fetched.params, honest.params);
      assert.equal(honestSource.requests - before, 1, 'the honest peer was asked once for all three callers');
    } finally {
      await lone.stop();
    }
  });

  test('drops a stored copy that no longer verifies and fetches the model again', async () => {
    const store = new CheckpointStore(join(dir, 'damaged'));
    await store.put(honest);
    await writeFile(join(store.dir, `${hash}.ckpt`), forgeCheckpoint(honest, { momentum }));
    const fetched = await new CheckpointModels({ store, p2p: client, logger }).checkpoint(hash, { signal: AbortSignal.timeout(20_000) });
    assert.deepEqual(fetched.momentum, honest.momentum);
    assert.deepEqual((await store.get(hash)).momentum, honest.momentum);
  });
});
