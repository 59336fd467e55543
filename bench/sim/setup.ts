import {
  DEFAULT_DATASET,
  initBackend,
  initialParams,
  loadDataset,
  shardFor,
  sliceExamples,
  type Dataset,
  type DatasetName,
  type ModelName,
  type ModelSpec,
} from '../../core/ml/index.ts';
import { DEFAULT_MAX_UPDATE_NORM } from '../../core/defaults/index.ts';
import type { ParameterLayout } from '../../core/tensor/index.ts';
import { formatShardLayout, IID_SHARDS, type ShardLayout } from './shards.ts';

/** The coordinator's defaults: validation examples each update is scored on, and the reward budget and per-node cap. */
export const SCORING_EXAMPLES = 500;
export const REWARDS = { budget: 100n * 10n ** 18n, cap: 0.5 };
/**
 * The validator's norm bound for the simulations: the network's default, far above any honest
 * update here, so the robustness figures measure the aggregation rule; scaled attacks stay under it.
 */
export const MAX_UPDATE_NORM = DEFAULT_MAX_UPDATE_NORM;

/** What every simulated run of a suite shares: the model's genesis, the peers' shards, scoring and test data. */
export interface SimulationWorld {
  spec: ModelSpec;
  layout: ParameterLayout;
  initial: Float32Array;
  shards: Dataset[];
  /** The coordinator's held-out batch (from the validation split, which no shard contains). */
  scoring: Dataset;
  test: Dataset;
  /** The whole training split, for a centralized baseline. */
  train: Dataset;
  backend: string;
  /** How the shards were cut, as `--shards` reads it (`iid`, `dirichlet:0.5`). */
  shardLayout: string;
  dataset: DatasetName;
}

/**
 * Starts the tensor backend, loads the dataset (MNIST unless told; Fashion-MNIST needs Debian's
 * dataset-fashion-mnist, CIFAR-10 a `dataDir`) once and cuts shards for `peers` (IID unless
 * `shards` says otherwise).
 */
export async function buildWorld(options: {
  model: ModelName;
  peers: number;
  seed: number;
  shards?: ShardLayout;
  dataset?: DatasetName;
  dataDir?: string;
}): Promise<SimulationWorld> {
  const shardLayout = options.shards ?? IID_SHARDS;
  const { backend } = await initBackend();
  const dataset = options.dataset ?? DEFAULT_DATASET;
  const splits = await loadDataset(dataset, { dataDir: options.dataDir });
  const { layout, params, spec } = initialParams({ name: options.model, dataset }, options.seed);
  const shards = Array.from({ length: options.peers }, (_, index) =>
    shardFor({ data: splits.train, seed: options.seed, peers: options.peers, index, ...shardLayout }),
  );
  return {
    spec,
    layout,
    initial: params,
    shards,
    scoring: sliceExamples(splits.validation, 0, Math.min(SCORING_EXAMPLES, splits.validation.size)),
    test: splits.test,
    train: splits.train,
    backend,
    shardLayout: formatShardLayout(shardLayout),
    dataset,
  };
}

/** A progress line on stderr, so a long benchmark shows it is alive without touching the JSON on stdout. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Rounds a figure for the JSON: `digits` decimals. */
export function rounded(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
