import type { TopLevelSpec } from 'vega-lite';
import { parseRoundAggregation, type RoundAggregationInput } from '../../core/audit/index.ts';
import { GradnetError } from '../../core/errors.ts';
import { MODEL_NAMES, type ModelName } from '../../core/ml/index.ts';
import { DEFAULT_CODEC, DEFAULT_TOPK_FRACTION } from '../../core/tensor/index.ts';
import { pngPathFor, writeChartPng } from '../plot/index.ts';
import { buildWorld, MAX_UPDATE_NORM, progress, REWARDS, rounded, runSimulation } from '../sim/index.ts';

const PEERS = 3;
/** The daemon's defaults (core/config): H = 100 Adam steps of batch 64 at lr 0.003 (the peak, when the coordinator schedules it). */
const INNER = { innerSteps: 100, batchSize: 64, learningRate: 0.003 };
const SEED = 15;
export const DEFAULT_LONG_ROUNDS = 200;
/** Issue 15's targets: the final validation loss at most this multiple of the run's minimum ... */
const MAX_FINAL_LOSS_OVER_MIN = 1.2;
/** ... and the final accuracy at most this far below the run's best (0.3 pp). */
const MAX_ACCURACY_BELOW_BEST = 0.003;

export interface LongRunOptions {
  jsonFile: string;
  model?: string;
  rounds?: number;
  /** Where the picture goes; beside the JSON when unset. */
  png?: string;
  /**
   * The coordinator's aggregation settings (core/audit's roundAggregationSchema, defaults filled
   * in). Tests and the before/after comparison pass other settings; the CLI runs the defaults.
   */
  aggregation?: RoundAggregationInput;
  /** Test examples evaluated after each round (the whole test set when unset). */
  curveTestLimit?: number;
}

function modelOf(model: string | undefined): ModelName {
  if (model === undefined) return 'mlp';
  if (!(MODEL_NAMES as readonly string[]).includes(model)) {
    throw new GradnetError('UNKNOWN_MODEL', `bench long trains the models ${MODEL_NAMES.join(', ')}, not "${model}"; pass --model with one of them`, { value: model });
  }
  return model as ModelName;
}

function roundsOf(rounds: number | undefined): number {
  if (rounds === undefined) return DEFAULT_LONG_ROUNDS;
  if (!Number.isInteger(rounds) || rounds < 1) throw new GradnetError('BENCH_ROUNDS', `bench long needs a whole number of rounds from 1, got ${rounds}; pass e.g. --rounds 200`, { value: rounds });
  return rounds;
}

/**
 * `gradnet bench long [--rounds R] [--model mlp|cnn] [--png FILE]`: 3 IID peers with the daemon's
 * defaults (100 Adam steps, the default codec) and the coordinator's default aggregation, outer
 * step and schedules, for R rounds; the test loss and accuracy after every round, and whether the
 * run ends near its best (issue 15: final loss ≤ 1.2 × its minimum, final accuracy ≥ best − 0.3 pp).
 */
export async function run(options: LongRunOptions): Promise<Record<string, unknown>> {
  const model = modelOf(options.model);
  const rounds = roundsOf(options.rounds);
  const aggregation = parseRoundAggregation(options.aggregation ?? {});
  const world = await buildWorld({ model, peers: PEERS, seed: SEED });
  progress(`long: ${model} on ${world.backend}, ${PEERS} IID peers × ${rounds} rounds × ${INNER.innerSteps} steps, ${DEFAULT_CODEC}, aggregation ${JSON.stringify(aggregation)}`);

  const result = await runSimulation({
    ...world,
    rounds,
    inner: INNER,
    aggregation,
    codec: DEFAULT_CODEC,
    topkFraction: DEFAULT_TOPK_FRACTION,
    maxNorm: MAX_UPDATE_NORM,
    rewards: REWARDS,
    seed: SEED,
    curveTestLimit: options.curveTestLimit,
    onRound: (report) => progress(`  round ${report.round}: loss ${report.loss.toFixed(4)}, accuracy ${report.accuracy.toFixed(4)} (${report.seconds.toFixed(1)} s)`),
  });

  const curve = result.curve.map((point) => ({ round: point.round, loss: rounded(point.loss, 5), accuracy: rounded(point.accuracy, 5) }));
  const last = curve[curve.length - 1];
  const lowest = curve.reduce((best, point) => (point.loss < best.loss ? point : best));
  const best = curve.reduce((top, point) => (point.accuracy > top.accuracy ? point : top));
  await writeChartPng(longRunChart({ title: `${model}: ${PEERS} peers, ${rounds} rounds with the daemon's and coordinator's defaults`, curve }), options.png ?? pngPathFor(options.jsonFile));
  return {
    suite: 'long',
    model,
    peers: PEERS,
    rounds,
    curve,
    finalLoss: last.loss,
    minLoss: lowest.loss,
    minLossRound: lowest.round,
    finalAccuracy: last.accuracy,
    bestAccuracy: best.accuracy,
    bestAccuracyRound: best.round,
    targets: {
      finalLossAtMost1_2xMin: last.loss <= MAX_FINAL_LOSS_OVER_MIN * lowest.loss,
      finalAccuracyWithin0_3ppOfBest: last.accuracy >= best.accuracy - MAX_ACCURACY_BELOW_BEST,
    },
    inner: INNER,
    codec: { id: DEFAULT_CODEC, topkFraction: DEFAULT_TOPK_FRACTION },
    aggregation,
    testExamples: Math.min(options.curveTestLimit ?? world.test.size, world.test.size),
    backend: world.backend,
    seconds: rounded(result.seconds, 1),
  };
}

/** Test loss (top) and accuracy (bottom) after every round. */
function longRunChart(input: { title: string; curve: readonly { round: number; loss: number; accuracy: number }[] }): TopLevelSpec {
  const x = { field: 'round', type: 'quantitative' as const, title: 'outer round' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: input.title,
    data: { values: [...input.curve] },
    vconcat: [
      { width: 560, height: 200, mark: { type: 'line' }, encoding: { x, y: { field: 'loss', type: 'quantitative', title: 'test loss (cross-entropy)', scale: { zero: false } } } },
      {
        width: 560,
        height: 200,
        mark: { type: 'line', color: '#2a7' },
        encoding: { x, y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { zero: false }, axis: { format: '.1%' } } },
      },
    ],
  };
}
