import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Hex } from 'viem';
import {
  CheckpointCorruptError,
  CheckpointHashMismatchError,
  CheckpointNotFoundError,
  CheckpointStore,
  createCheckpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  genesisCheckpoint,
  InvalidParametersError,
  modelHash,
  type ParameterLayout,
} from '../../../core/tensor/index.ts';
import { forgeCheckpoint } from './forged-checkpoint.ts';

const layout: ParameterLayout = [
  { name: 'dense/kernel', shape: [4, 3] },
  { name: 'dense/bias', shape: [3] },
];
const params = Float32Array.from({ length: 15 }, (_, i) => Math.sin(i) * 0.1);
const momentum = Float32Array.from({ length: 15 }, (_, i) => i * 1e-3);
const parentHash = `0x${'ab'.repeat(32)}` as Hex;
const checkpoint = createCheckpoint({ layout, params, momentum, meta: { round: 3, model: { name: 'mlp', hidden: 3 }, parentHash, note: 'x' } });

describe('checkpoint encoding', () => {
  it('round-trips weights, momentum and metadata under the model hash', () => {
    assert.equal(checkpoint.modelHash, modelHash({ layout, params, momentum, meta: checkpoint.meta }));
    const decoded = decodeCheckpoint(encodeCheckpoint(checkpoint), checkpoint.modelHash);
    assert.equal(decoded.modelHash, checkpoint.modelHash);
    assert.deepEqual(decoded.layout, layout);
    assert.deepEqual(decoded.params, params);
    assert.deepEqual(decoded.momentum, momentum);
    assert.deepEqual(decoded.meta, checkpoint.meta);
  });

  it('accepts the expected hash in any letter case', () => {
    assert.equal(decodeCheckpoint(encodeCheckpoint(checkpoint), checkpoint.modelHash.toUpperCase().replace('0X', '0x') as Hex).modelHash, checkpoint.modelHash);
  });

  it('round-trips without momentum', () => {
    const bare = createCheckpoint({ layout, params, meta: { round: 0, model: { name: 'mlp', hidden: 3 } } });
    const decoded = decodeCheckpoint(encodeCheckpoint(bare), bare.modelHash);
    assert.equal(decoded.momentum, undefined);
    assert.deepEqual(decoded.params, params);
  });

  it('refuses a checkpoint that is not the expected model, naming both hashes', () => {
    const other = `0x${'12'.repeat(32)}` as Hex;
    assert.throws(() => decodeCheckpoint(encodeCheckpoint(checkpoint), other), (error: unknown) => {
      assert.ok(error instanceof CheckpointHashMismatchError);
      assert.ok(error.message.includes(other) && error.message.includes(checkpoint.modelHash));
      assert.equal(error.expected, other);
      assert.equal(error.actual, checkpoint.modelHash);
      return true;
    });
  });

  it('refuses corrupted, truncated and foreign bytes', () => {
    const bytes = encodeCheckpoint(checkpoint);
    const flipped = bytes.slice();
    flipped[bytes.length - 40] ^= 0x01; // inside the momentum: the integrity digest catches it before the hash
    assert.throws(() => decodeCheckpoint(flipped, checkpoint.modelHash), CheckpointCorruptError);
    assert.throws(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 5), checkpoint.modelHash), CheckpointCorruptError);
    assert.throws(() => decodeCheckpoint(new TextEncoder().encode('{"not":"a checkpoint"} padding padding padding padding'), checkpoint.modelHash), /magic/);
    assert.throws(() => decodeCheckpoint(bytes, 'nope' as Hex), CheckpointCorruptError);
  });

  it('refuses a well-formed file claiming the hash with altered momentum or meta', () => {
    const nudged = momentum.slice();
    nudged[5] += 0.5;
    const forgeries = {
      momentum: forgeCheckpoint(checkpoint, { momentum: nudged }),
      'no momentum': forgeCheckpoint(checkpoint, { momentum: undefined }),
      'meta.model': forgeCheckpoint(checkpoint, { meta: { ...checkpoint.meta, model: { name: 'cnn', filters: [4, 8], kernelSize: 3 } } }),
      'meta.round': forgeCheckpoint(checkpoint, { meta: { ...checkpoint.meta, round: 9 } }),
      'meta.aggregation': forgeCheckpoint(checkpoint, { meta: { ...checkpoint.meta, aggregation: { rule: 'nonsense' } } }),
    };
    for (const [what, bytes] of Object.entries(forgeries)) {
      assert.throws(() => decodeCheckpoint(bytes, checkpoint.modelHash), CheckpointHashMismatchError, what);
    }
    const annotated = forgeCheckpoint(checkpoint, { meta: { ...checkpoint.meta, evaluation: { accuracy: 0.5 } } });
    assert.deepEqual(decodeCheckpoint(annotated, checkpoint.modelHash).meta.evaluation, { accuracy: 0.5 });
  });

  it('names round 0 by weights and model spec: the genesis hash a ledger is deployed with', () => {
    const spec = { name: 'mlp', hidden: 3 } as const;
    const genesis = genesisCheckpoint({ layout, params, spec });
    assert.deepEqual(genesis.meta, { round: 0, model: spec });
    assert.equal(genesis.momentum, undefined);
    assert.equal(genesis.modelHash, modelHash({ layout, params, meta: { round: 0, model: spec } }));
    assert.notEqual(genesisCheckpoint({ layout, params, spec: { name: 'mlp', hidden: 4 } }).modelHash, genesis.modelHash);
  });

  it('refuses NaN weights, mismatched momentum and a bad round', () => {
    const poisoned = params.slice();
    poisoned[2] = Number.NaN;
    assert.throws(() => createCheckpoint({ layout, params: poisoned, meta: checkpoint.meta }), InvalidParametersError);
    assert.throws(() => createCheckpoint({ layout, params, momentum: new Float32Array(3), meta: checkpoint.meta }), /momentum has 3 values/);
    assert.throws(() => createCheckpoint({ layout, params, meta: { ...checkpoint.meta, round: -1 } }), /round/);
    assert.throws(() => createCheckpoint({ layout, params: params.subarray(1), meta: checkpoint.meta }), /14 values but the layout needs 15/);
  });
});

describe('CheckpointStore', () => {
  const dirs: string[] = [];
  after(async () => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
  const freshStore = async (): Promise<CheckpointStore> => {
    const dir = await mkdtemp(join(tmpdir(), 'gradnet-ckpt-'));
    dirs.push(dir);
    return new CheckpointStore(join(dir, 'checkpoints'));
  };

  it('stores by hash and loads verified', async () => {
    const store = await freshStore();
    assert.equal(await store.has(checkpoint.modelHash), false);
    assert.deepEqual(await store.list(), []);
    assert.equal(await store.put(checkpoint), checkpoint.modelHash);
    assert.equal(await store.has(checkpoint.modelHash), true);
    assert.deepEqual(await store.list(), [checkpoint.modelHash]);
    assert.deepEqual((await store.get(checkpoint.modelHash)).params, params);
    assert.deepEqual(await store.getBytes(checkpoint.modelHash), encodeCheckpoint(checkpoint));
  });

  it('accepts fetched bytes only when they are the announced checkpoint', async () => {
    const store = await freshStore();
    const bytes = encodeCheckpoint(checkpoint);
    await assert.rejects(store.putBytes(`0x${'34'.repeat(32)}`, bytes), CheckpointHashMismatchError);
    assert.equal(await store.has(`0x${'34'.repeat(32)}`), false);
    await store.putBytes(checkpoint.modelHash, bytes);
    assert.equal(await store.has(checkpoint.modelHash), true);
  });

  it('refuses a file tampered with on disk and reports a missing one', async () => {
    const store = await freshStore();
    await store.put(checkpoint);
    const path = join(store.dir, `${checkpoint.modelHash}.ckpt`);
    const bytes = new Uint8Array(await readFile(path));
    bytes[20] ^= 0xff;
    await writeFile(path, bytes);
    await assert.rejects(store.get(checkpoint.modelHash), CheckpointCorruptError);
    await assert.rejects(store.get(`0x${'56'.repeat(32)}`), CheckpointNotFoundError);
    await assert.rejects(store.get('../../etc/passwd' as Hex), CheckpointCorruptError);
    await store.delete(checkpoint.modelHash);
    assert.equal(await store.has(checkpoint.modelHash), false);
    await store.delete(checkpoint.modelHash);
  });
});
