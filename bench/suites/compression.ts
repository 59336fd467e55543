import { DEFAULT_RULE } from '../../core/aggregate/index.ts';
import { CODEC_IDS, DEFAULT_TOPK_FRACTION, genesisCheckpoint, type CodecId } from '../../core/tensor/index.ts';
import { compressionChart, pngPathFor, writeChartPng } from '../plot/index.ts';
import { buildWorld, MAX_UPDATE_NORM, PinnedModelUpdateCache, progress, REWARDS, rounded, runSimulation } from '../sim/index.ts';

const MODEL = 'mlp';
const PEERS = 4;
const ROUNDS = 10;
const INNER = { innerSteps: 50, batchSize: 64, learningRate: 0.002 };
/**
 * Fraction of coordinates topk keeps: the network's default (error feedback carries the rest to
 * later rounds); with 4-bit values and Rice-coded indices, about 36× smaller than fp32.
 */
const TOPK_FRACTION = DEFAULT_TOPK_FRACTION;
/** Further topk fractions run to draw the trade-off. */
const TOPK_SWEEP = [0.03, 0.3];
const SEED = 13;
const CURVE_TEST_LIMIT = 1000;

/**
 * Compression trade-off: the same peers, rounds and seeds with each codec; bytes per update is
 * the mean payload the peers put on the wire, accuracy the final test accuracy.
 */
export async function run({ jsonFile }: { jsonFile: string }): Promise<Record<string, unknown>> {
  const world = await buildWorld({ model: MODEL, peers: PEERS, seed: SEED });
  const cache = new PinnedModelUpdateCache(genesisCheckpoint({ layout: world.layout, params: world.initial, spec: world.spec }).modelHash);
  progress(`compression: ${MODEL} on ${world.backend}, ${PEERS} IID peers × ${ROUNDS} rounds, codecs ${CODEC_IDS.join(', ')}`);

  const measure = async (codec: CodecId, topkFraction?: number): Promise<{ bytesPerUpdate: number; accuracy: number }> => {
    const result = await runSimulation({
      ...world,
      rounds: ROUNDS,
      inner: INNER,
      aggregation: { rule: DEFAULT_RULE },
      codec,
      topkFraction,
      maxNorm: MAX_UPDATE_NORM,
      rewards: REWARDS,
      seed: SEED,
      curveTestLimit: CURVE_TEST_LIMIT,
      cache,
    });
    progress(`  ${codec}${topkFraction ? ` k=${topkFraction}` : ''}: ${Math.round(result.bytesPerUpdate)} bytes/update, accuracy ${result.accuracy.toFixed(4)} (${result.seconds.toFixed(1)} s)`);
    return { bytesPerUpdate: Math.round(result.bytesPerUpdate), accuracy: rounded(result.accuracy, 4) };
  };
  const codecs: Record<string, { bytesPerUpdate: number; accuracy: number }> = {};
  for (const codec of CODEC_IDS) codecs[codec] = await measure(codec, codec === 'topk' ? TOPK_FRACTION : undefined);
  const topkSweep: { fraction: number; bytesPerUpdate: number; accuracy: number }[] = [];
  for (const fraction of TOPK_SWEEP) topkSweep.push({ fraction, ...(await measure('topk', fraction)) });

  await writeChartPng(
    compressionChart({
      title: `${MODEL}, ${PEERS} peers × ${ROUNDS} rounds: final accuracy vs update size`,
      points: [
        ...Object.entries(codecs).map(([codec, figures]) => ({ codec: codec === 'topk' ? `topk ${TOPK_FRACTION * 100}%` : codec, ...figures })),
        ...topkSweep.map(({ fraction, ...figures }) => ({ codec: `topk ${fraction * 100}%`, ...figures })),
      ],
      target: { bytes: codecs.fp32.bytesPerUpdate / 32, label: '32× smaller than fp32' },
    }),
    pngPathFor(jsonFile),
  );
  const { fp32, topk } = codecs;
  return {
    suite: 'compression',
    model: MODEL,
    peers: PEERS,
    rounds: ROUNDS,
    topkFraction: TOPK_FRACTION,
    codecs,
    topkSweep,
    inner: INNER,
    targets: {
      topkReduction: rounded(fp32.bytesPerUpdate / topk.bytesPerUpdate, 1),
      topkAccuracyLoss: rounded(fp32.accuracy - topk.accuracy, 4),
      met: fp32.bytesPerUpdate / topk.bytesPerUpdate >= 32 && fp32.accuracy - topk.accuracy <= 0.01,
    },
    backend: world.backend,
  };
}
