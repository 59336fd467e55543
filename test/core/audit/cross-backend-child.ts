/**
 * One host of the cross-backend test (cross-backend.test.ts), on the tfjs backend GRADNET_BACKEND
 * names. `train DIR FIRST COUNT`: trains peers FIRST.. of the shared genesis model on their MNIST
 * shards and writes each delta to DIR/delta-<peer>.bin. `settle DIR COUNT`: reads the deltas and
 * settles the round as coordinator and auditors do (reference evaluator), and, for contrast, with
 * tfjs' evaluate; prints both results as JSON.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { keccak256, toHex, type Hex } from 'viem';
import { scoringLoss, settleRound, SCORING_EVALUATORS, validationFingerprint, type RoundScoring, type SettleUpdate } from '../../../core/audit/index.ts';
import { currentBackend, evaluate, initBackend, initialParams, loadMnist, resolveModelSpec, shardFor, trainLocal } from '../../../core/ml/index.ts';

const spec = resolveModelSpec('mlp');
const [mode, dir, ...numbers] = process.argv.slice(2);
await initBackend();
const mnist = await loadMnist();
const genesis = initialParams(spec, 'cross-backend').params;

if (mode === 'train') {
  const [first, count] = numbers.map(Number);
  for (let peer = first; peer < first + count; peer++) {
    const shard = shardFor({ data: mnist.train, seed: 3, peers: 8, index: peer, scheme: 'iid' });
    const { delta } = await trainLocal({ spec, params: genesis, data: shard, config: { innerSteps: 20, batchSize: 32, learningRate: 3e-3, seed: `peer ${peer}` } });
    await writeFile(join(dir, `delta-${peer}.bin`), new Uint8Array(delta.buffer, delta.byteOffset, delta.byteLength));
  }
} else {
  const count = Number(numbers[0]);
  const updates: SettleUpdate[] = [];
  for (let peer = 0; peer < count; peer++) {
    const bytes = await readFile(join(dir, `delta-${peer}.bin`));
    updates.push({
      nodeKey: `0x${(peer + 1).toString(16).padStart(40, '0')}`,
      owner: `0x${(peer + 1).toString(16).padStart(40, 'a')}`,
      digest: keccak256(toHex(`update ${peer}`)),
      payloadDigest: keccak256(bytes),
      delta: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
      samples: 640,
      arrival: peer,
    });
  }
  const scoring: RoundScoring = { scoreBatch: 500, budgetWei: 10n ** 18n, capShare: 0.4, validation: validationFingerprint(mnist.validation, 500), evaluator: SCORING_EVALUATORS[0] };
  const settle = async (evaluateLoss: (params: Float32Array) => Promise<number>) => {
    const settled = await settleRound({ params: genesis, updates, setAside: [], evaluateLoss, budgetWei: scoring.budgetWei, capShare: scoring.capShare, previous: new Map() });
    return { root: settled.rewardsRoot as Hex, points: settled.payout.scores.map((score) => score.points.toString()), rewards: settled.payout.rewards.map(String), baseLoss: settled.payout.baseLoss };
  };
  const reference = await settle(scoringLoss(scoring, spec, mnist.validation));
  const tfjs = await settle(async (params) => (await evaluate({ spec, params, data: mnist.validation, limit: scoring.scoreBatch })).loss);
  process.stdout.write(`${JSON.stringify({ backend: currentBackend(), reference, tfjs })}\n`);
}
