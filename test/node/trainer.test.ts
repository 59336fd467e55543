import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Hex } from 'viem';
import { applyRound, checkpointTraining, parseRoundAggregation } from '../../core/audit/index.ts';
import { createLogger } from '../../core/log/index.ts';
import { initBackend, initialParams, loadMnist, shardFor, trainLocal, type Dataset } from '../../core/ml/index.ts';
import { decodeDelta, genesisCheckpoint, type Checkpoint } from '../../core/tensor/index.ts';
import { Trainer } from '../../node/trainer.ts';

const NODE_KEY: Hex = `0x${'ab'.repeat(20)}`;
const OWN_RATE = 0.001;
const SCHEDULED_RATE = 0.02;

describe('the daemon trains at the rate the round base asks for', () => {
  let shard: Dataset;
  let genesis: Checkpoint;
  let scheduled: Checkpoint;
  let unscheduled: Checkpoint;

  before(async () => {
    await initBackend('wasm');
    shard = shardFor({ data: (await loadMnist()).train, seed: 1, peers: 200, index: 3, scheme: 'iid' });
    const { layout, params, spec } = initialParams('mlp', 3);
    genesis = genesisCheckpoint({ layout, params, spec });
    const updates = [{ digest: `0x${'11'.repeat(32)}` as Hex, delta: new Float32Array(params.length).fill(0.001), samples: 64 }];
    const aggregation = parseRoundAggregation({ rule: { rule: 'mean' }, inner: { learningRate: SCHEDULED_RATE, schedule: { kind: 'constant' }, weightDecay: 0.1 } });
    scheduled = applyRound({ parent: genesis, round: 1, updates, aggregation }).checkpoint;
    unscheduled = applyRound({ parent: genesis, round: 1, updates, aggregation: { rule: { rule: 'mean' } } }).checkpoint;
  });

  function trainer(): Trainer {
    const models = { checkpoint: async (hash: Hex) => [genesis, scheduled, unscheduled].find((checkpoint) => checkpoint.modelHash === hash)! };
    return new Trainer({ shard, innerSteps: 4, batchSize: 16, learningRate: OWN_RATE, codec: 'fp32', topkFraction: 0.1, seed: 9, nodeKey: NODE_KEY, models, logger: createLogger({ name: 'trainer-test', level: 'silent' }) });
  }

  /** What trainLocal gives for round 2 on `base` at the given settings: the update the daemon must send. */
  async function expected(base: Checkpoint, learningRate: number, weightDecay: number): Promise<Float32Array> {
    const config = { innerSteps: 4, batchSize: 16, learningRate, weightDecay, seed: `9/${NODE_KEY}/2` };
    return (await trainLocal({ spec: base.meta.model, params: base.params, data: shard, config })).delta;
  }

  it('uses the checkpoint’s inner learning rate and weight decay when it records them', async () => {
    assert.deepEqual(checkpointTraining(scheduled), { round: 2, learningRate: SCHEDULED_RATE, weightDecay: 0.1 });
    const prepared = await trainer().train({ round: 2, baseModelHash: scheduled.modelHash, residual: undefined });
    const sent = decodeDelta('fp32', prepared.payload, scheduled.params.length);
    assert.deepEqual(sent, await expected(scheduled, SCHEDULED_RATE, 0.1));
    assert.notDeepEqual(sent, await expected(scheduled, OWN_RATE, 0));
  });

  it('falls back to its own learning rate on a checkpoint that asks for none (an older coordinator)', async () => {
    assert.equal(checkpointTraining(unscheduled), undefined);
    const prepared = await trainer().train({ round: 2, baseModelHash: unscheduled.modelHash, residual: undefined });
    assert.deepEqual(decodeDelta('fp32', prepared.payload, unscheduled.params.length), await expected(unscheduled, OWN_RATE, 0));
  });
});
