import { DEFAULT_RULE, parseAggregationRule, type AggregationRule } from '../../core/aggregate/index.ts';
import type { DatasetName, ModelName } from '../../core/ml/index.ts';
import { DEFAULT_TOPK_FRACTION, genesisCheckpoint, type CodecId } from '../../core/tensor/index.ts';
import { pngPathFor, simulationChart, writeChartPng } from '../plot/index.ts';
import { alieZMax, type AttackName, type AttackOptions } from './attacks.ts';
import { SimulationError } from './errors.ts';
import { runSimulation, type RoundReport, type SimulationResult } from './harness.ts';
import { buildWorld, MAX_UPDATE_NORM, REWARDS, rounded } from './setup.ts';
import { formatShardLayout, type ShardLayout } from './shards.ts';
import { PinnedModelUpdateCache } from './update-cache.ts';

/** What `gradnet simulate` runs: one simulated network, and the same network without its attackers. */
export interface SimulateOptions {
  peers: number;
  /** How many of the peers attack (the last ones); 0 runs the clean network only. */
  malicious: number;
  attack: AttackName;
  /** An aggregation rule (a name or `{ rule, ...params }`), or 'default' for the coordinator's. */
  rule: unknown;
  shards: ShardLayout;
  dataset: DatasetName;
  /** Where CIFAR-10's binary batches are (the other datasets have a default place). */
  dataDir?: string;
  model: ModelName;
  rounds: number;
  innerSteps: number;
  codec: CodecId;
  seed: number;
  /** Where to write the JSON (nothing is written without it). */
  jsonFile?: string;
  /** Where to draw the curves; default beside `jsonFile`, none without either. */
  pngFile?: string;
  /** The table's rows (stdout in the CLI). */
  print: (line: string) => void;
  /** Progress lines (stderr in the CLI). */
  progress: (line: string) => void;
}

/** The inner loop of the byzantine benchmark: 20 Adam steps of 32 examples. */
export const SIMULATE_INNER = { batchSize: 32, learningRate: 0.002 };

/** Resolves `--rule`: 'default' is the coordinator's rule, anything else is validated as a rule. */
export function resolveRule(rule: unknown): AggregationRule {
  return rule === 'default' ? DEFAULT_RULE : parseAggregationRule(rule);
}

const TABLE_HEADER = 'run        round  accuracy     loss  accepted  seconds';

function tableRow(run: string, report: RoundReport): string {
  return `${run.padEnd(9)} ${String(report.round).padStart(6)}  ${(report.accuracy * 100).toFixed(2).padStart(7)}%  ${report.loss.toFixed(4).padStart(7)}  ${String(report.accepted).padStart(8)}  ${report.seconds.toFixed(1).padStart(7)}`;
}

/**
 * Runs the simulation from the flags: the attacked network, then the same one (same shards, seed,
 * rule) with every peer honest, and reports both. The clean run reuses the honest peers'
 * first-round training, the only work the two runs have in common.
 */
export async function simulate(options: SimulateOptions): Promise<Record<string, unknown>> {
  if (!Number.isInteger(options.malicious) || options.malicious < 0 || options.malicious >= options.peers) {
    throw new SimulationError(`--malicious ${options.malicious} must be a whole number below --peers ${options.peers}, so at least one peer is honest`, options.malicious);
  }
  const rule = resolveRule(options.rule);
  const world = await buildWorld({ model: options.model, peers: options.peers, seed: options.seed, shards: options.shards, dataset: options.dataset, dataDir: options.dataDir });
  const attackOptions: AttackOptions = { signflipScale: 4, alieZ: alieZMax(options.peers, Math.max(1, options.malicious)) };
  const base = {
    ...world,
    rounds: options.rounds,
    inner: { ...SIMULATE_INNER, innerSteps: options.innerSteps },
    aggregation: { rule },
    codec: options.codec,
    topkFraction: DEFAULT_TOPK_FRACTION,
    maxNorm: MAX_UPDATE_NORM,
    rewards: REWARDS,
    seed: options.seed,
    cache: new PinnedModelUpdateCache(genesisCheckpoint({ layout: world.layout, params: world.initial, spec: world.spec }).modelHash),
  };
  const describe = `${options.peers} peers on ${world.dataset} (${world.shardLayout}), ${options.model}, ${rule.rule}, ${options.codec}, ${options.rounds} rounds × ${options.innerSteps} inner steps`;
  options.print(TABLE_HEADER);
  let attacked: SimulationResult | undefined;
  if (options.malicious > 0) {
    options.progress(`simulate: ${describe}; ${options.malicious} run ${options.attack}`);
    attacked = await runSimulation({
      ...base,
      attack: { name: options.attack, attackers: options.malicious, options: attackOptions },
      onRound: (report) => options.print(tableRow(options.attack, report)),
    });
  }
  options.progress(`simulate: ${describe}; the clean run, every peer honest`);
  const clean = await runSimulation({ ...base, onRound: (report) => options.print(tableRow('clean', report)) });
  const result = attacked ?? clean;

  const report = {
    accuracy: rounded(result.accuracy, 4),
    cleanAccuracy: rounded(clean.accuracy, 4),
    attackerRewardShare: rounded(result.attackerRewardShare, 4),
    loss: rounded(result.loss, 4),
    cleanLoss: rounded(clean.loss, 4),
    curve: result.curve.map(roundedPoint),
    cleanCurve: clean.curve.map(roundedPoint),
    peers: options.peers,
    malicious: options.malicious,
    attack: options.malicious > 0 ? options.attack : null,
    ...(options.malicious > 0 ? { attackOptions } : {}),
    rule,
    shards: formatShardLayout(options.shards),
    dataset: world.dataset,
    model: options.model,
    rounds: options.rounds,
    inner: base.inner,
    codec: options.codec,
    seed: options.seed,
    refused: result.refused,
    bytesPerUpdate: Math.round(result.bytesPerUpdate),
    backend: world.backend,
    seconds: rounded(clean.seconds + (attacked?.seconds ?? 0), 1),
  };
  options.print(
    `accuracy ${(report.accuracy * 100).toFixed(2)}% (clean ${(report.cleanAccuracy * 100).toFixed(2)}%), attackers' reward share ${(report.attackerRewardShare * 100).toFixed(2)}%`,
  );
  const pngFile = options.pngFile ?? (options.jsonFile === undefined ? undefined : pngPathFor(options.jsonFile));
  if (pngFile !== undefined) {
    const series = [{ name: 'clean', curve: clean.curve }];
    if (attacked) series.unshift({ name: `${options.malicious} of ${options.peers} peers ${options.attack}`, curve: attacked.curve });
    await writeChartPng(simulationChart({ title: describe, series }), pngFile);
  }
  return report;
}

function roundedPoint(point: { round: number; accuracy: number; loss: number }): { round: number; accuracy: number; loss: number } {
  return { round: point.round, accuracy: rounded(point.accuracy, 4), loss: rounded(point.loss, 4) };
}
