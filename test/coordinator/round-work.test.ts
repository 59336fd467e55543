import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { initBackend, initialParams, trainLocal, type Dataset } from '../../core/ml/index.ts';
import { encodeUpdate, gradnetDomain, nodeKeyAddress, signUpdate, updateDigest } from '../../core/protocol/index.ts';
import { CheckpointStore, encodeDelta, genesisCheckpoint } from '../../core/tensor/index.ts';
import { parseCoordinatorConfig } from '../../coordinator/config.ts';
import { produceRound } from '../../coordinator/round-work.ts';
import { CoordinatorStore } from '../../coordinator/store.ts';
import { address, hash } from './rows.ts';

// Issue 11, 3.5: the per-round reward cap was per node key, so K nodes of one owner earned K times
// the cap. produceRound asks each node key's owner before payRound, which caps owners.

const SPEC = { name: 'mlp', hidden: 8 } as const;
const BUDGET = 1000n * 10n ** 18n;

/** 128 examples a small MLP learns at once: the class lights up its own band of pixels. */
function bandedDigits(size: number): Dataset {
  const images = new Uint8Array(size * 784);
  const labels = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) {
    labels[i] = i % 10;
    for (let pixel = 0; pixel < 78; pixel += 1) images[i * 784 + labels[i] * 78 + pixel] = 200 + ((i * 7 + pixel) % 50);
  }
  return { images, labels, size };
}

describe('coordinator: producing a round pays owners, not node keys', { timeout: 60_000 }, () => {
  it('caps the two node keys of one owner at one cap in total, and records one reward row per owner', async () => {
    await initBackend();
    const data = bandedDigits(128);
    const parent = genesisCheckpoint(initialParams(SPEC, 1));
    const checkpoints = new CheckpointStore(join(mkdtempSync(join(tmpdir(), 'gradnet-round-work-')), 'checkpoints'));
    await checkpoints.put(parent);
    const store = CoordinatorStore.open(':memory:');
    store.openRound(1, parent.modelHash, 1);
    const domain = gradnetDomain(31337, address(0x1111));
    const sybil = address(0x5b);
    const honest = address(0x40);
    const keys = [generatePrivateKey(), generatePrivateKey(), generatePrivateKey()];
    const owners = new Map<string, Hex>(keys.map((key, i) => [nodeKeyAddress(key).toLowerCase(), i < 2 ? sybil : honest]));
    const digests: Hex[] = [];
    for (const [i, privateKey] of keys.entries()) {
      const trained = await trainLocal({ spec: SPEC, params: parent.params, data, config: { innerSteps: 10, batchSize: 32, learningRate: 0.01, seed: i + 1 } });
      const { payload } = encodeDelta('fp32', trained.delta);
      const signed = await signUpdate({ privateKey, domain, round: 1, baseModelHash: parent.modelHash, samples: trained.samples, trainLoss: trained.trainLoss, codec: 'fp32', payload });
      const message = encodeUpdate(signed, { inline: true });
      const digest = updateDigest(signed, domain);
      digests.push(digest);
      store.insertUpdate({ round: 1, nodeKey: signed.nodeKey, digest, verdict: 'accepted', reason: null, baseHash: parent.modelHash, samples: signed.samples, trainLoss: trained.trainLoss, codec: 'fp32', signature: signed.signature, message, bytes: message.byteLength, receivedMs: 1 + i, peerId: null });
    }
    const config = parseCoordinatorConfig({ privateKey: hash(0xc0ffee), aggregation: { rule: 'mean' } });
    const produced = await produceRound({
      round: 1,
      baseHash: parent.modelHash,
      digests,
      store,
      checkpoints,
      settings: { spec: SPEC, aggregation: config.aggregation, validation: data, validationLimit: 128, scoreBatch: 128, budgetPerRound: BUDGET, capPerNode: 0.4 },
      ownerOf: async (nodeKey) => owners.get(nodeKey.toLowerCase()) ?? null,
      now: () => 2,
    });

    assert.deepEqual(produced.scores.map((score) => score.verdict), ['scored', 'scored', 'scored']);
    assert.ok(produced.scores.every((score) => score.score > 0), 'every update lowers the loss');
    const cap = (BUDGET * 4n) / 10n;
    const rewardOf = (owner: Hex) => produced.rewards.find((row) => row.owner === owner)?.amount;
    // Paid per node key, each of the three would take about a third (under the cap): the sybil two thirds.
    assert.equal(rewardOf(sybil), cap, "the sybil's two node keys share one cap");
    assert.equal(rewardOf(honest), cap);
    assert.equal(produced.rewards.length, 2);
    assert.equal(produced.result.rewardBudget, 2n * cap, 'the rest of the budget stays unallocated');
    assert.equal((produced.result.stats as { unallocated: string }).unallocated, (BUDGET - 2n * cap).toString());
  });
});
