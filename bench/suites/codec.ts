import { performance } from 'node:perf_hooks';
import { initBackend, initialParams, loadMnist, shardFor, trainLocal } from '../../core/ml/index.ts';
import { CODEC_IDS, DEFAULT_TOPK_FRACTION, decodeDelta, encodeDelta, type CodecId } from '../../core/tensor/index.ts';

const MODEL = 'mlp' as const;
const PEERS = 10;
const SEED = 7;
/** The daemon's defaults: H = 100 Adam steps of batch 64 at lr 0.003. */
const TRAINING = { innerSteps: 100, batchSize: 64, learningRate: 0.003, seed: SEED };
const REPEATS = 5;
/** Other fractions of the sparse codecs, to show the size/error trade-off around the default. */
const TOPK_SWEEP = [0.003, 0.01, 0.03, 0.1];

interface CodecFigures {
  bytes: number;
  ratio: number;
  encodeMs: number;
  decodeMs: number;
  relError: number;
}

function l2(values: Float32Array): number {
  let sum = 0;
  for (const value of values) sum += value * value;
  return Math.sqrt(sum);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function measure(codec: CodecId, delta: Float32Array, k?: number): CodecFigures {
  const encodeTimes: number[] = [];
  const decodeTimes: number[] = [];
  let payload: Uint8Array = new Uint8Array(0);
  let decoded: Float32Array = new Float32Array(0);
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    payload = encodeDelta(codec, delta, { k }).payload;
    encodeTimes.push(performance.now() - started);
    const decodeStarted = performance.now();
    decoded = decodeDelta(codec, payload, delta.length);
    decodeTimes.push(performance.now() - decodeStarted);
  }
  const error = new Float32Array(delta.length);
  for (let i = 0; i < delta.length; i++) error[i] = decoded[i] - delta[i];
  return {
    bytes: payload.byteLength,
    ratio: Number(((delta.length * 4) / payload.byteLength).toFixed(2)),
    encodeMs: Number(median(encodeTimes).toFixed(3)),
    decodeMs: Number(median(decodeTimes).toFixed(3)),
    relError: Number((l2(error) / l2(delta)).toFixed(6)),
  };
}

/**
 * Codec size, speed and error on a real pseudo-gradient: one peer's H local steps of the MLP on
 * its MNIST shard from the seeded initial model. The sparse codecs (topk, topksign) are measured
 * for one round, before error feedback (which carries the dropped part into the next round).
 */
export async function run(_options: { jsonFile: string }): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const mnist = await loadMnist();
  const shard = shardFor({ data: mnist.train, peers: PEERS, index: 0, seed: SEED, scheme: 'iid' });
  const { params } = initialParams(MODEL, SEED);
  const { delta, trainLoss } = await trainLocal({ spec: MODEL, params, data: shard, config: TRAINING });
  const codecs: Record<string, CodecFigures> = {};
  for (const codec of CODEC_IDS) codecs[codec] = measure(codec, delta);
  const topkSweep = Object.fromEntries(TOPK_SWEEP.map((k) => [k, measure('topk', delta, k)]));
  const topksignSweep = Object.fromEntries(TOPK_SWEEP.map((k) => [k, measure('topksign', delta, k)]));
  return {
    suite: 'codec',
    params: delta.length,
    source: { model: MODEL, backend: backend.backend, shardExamples: shard.size, ...TRAINING, trainLoss: Number(trainLoss.toFixed(4)), deltaNorm: Number(l2(delta).toFixed(6)) },
    topkFraction: DEFAULT_TOPK_FRACTION,
    codecs,
    topkSweep,
    topksignSweep,
  };
}
