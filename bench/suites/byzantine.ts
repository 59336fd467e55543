import { aggregationRuleNames, DEFAULT_RULE, type AggregationRuleInput, type AggregationRuleName } from '../../core/aggregate/index.ts';
import type { BenchSuiteOptions } from '../options.ts';
import { assertDatasetName, DEFAULT_DATASET } from '../../core/ml/index.ts';
import { genesisCheckpoint } from '../../core/tensor/index.ts';
import { pngPathFor, robustnessChart, writeChartPng, type RobustnessCell } from '../plot/index.ts';
import {
  alieZMax,
  attackNames,
  buildWorld,
  DEFAULT_IPM_EPSILON,
  MAX_UPDATE_NORM,
  parseShardLayout,
  PinnedModelUpdateCache,
  progress,
  REWARDS,
  rounded,
  runSimulation,
  SimulationError,
  type AttackName,
  type AttackOptions,
} from '../sim/index.ts';

const MODEL = 'mlp';
const PEERS = 10;
const MALICIOUS = 3;
const ROUNDS = 8;
const INNER = { innerSteps: 20, batchSize: 32, learningRate: 0.002 };
const SEED = 11;
/** Test examples for the per-round curve (the final figure uses all 10,000). */
const CURVE_TEST_LIMIT = 1000;
/** The targets for the default rule (issue 15 §2), in accuracy fractions and reward shares. */
const TARGETS = { cleanBelowMean: 0.005, worstDrop: 0.02, attackerShare: 0.05 };

/**
 * Robustness grid: `peers` peers (10), the last `malicious` (3) malicious, every attack (or those
 * asked for) under every aggregation rule, plus a clean run per rule, on IID or Dirichlet shards of
 * MNIST or another dataset. The rule named by the coordinator's default runs with the default's
 * settings (its norm clipping too); the others with their own defaults.
 */
export type ByzantineOptions = Pick<BenchSuiteOptions, 'jsonFile' | 'peers' | 'malicious' | 'shards' | 'dataset' | 'datasetDir' | 'attacks' | 'rules'>;

export async function run(options: ByzantineOptions): Promise<Record<string, unknown>> {
  const { jsonFile } = options;
  const peers = options.peers ?? PEERS;
  const malicious = options.malicious ?? MALICIOUS;
  if (!(malicious >= 1 && malicious < peers)) throw new SimulationError(`--malicious ${malicious} must be from 1 to ${peers - 1} (--peers ${peers})`, malicious);
  const attacks = (options.attacks ?? attackNames) as AttackName[];
  const unknown = attacks.find((attack) => !attackNames.includes(attack));
  if (unknown !== undefined) throw new SimulationError(`unknown attack "${unknown}"; known attacks: ${attackNames.join(', ')}`, unknown);
  const dataset = options.dataset ?? DEFAULT_DATASET;
  assertDatasetName(dataset);
  const asked = options.rules ?? aggregationRuleNames;
  const unknownRule = asked.find((rule) => !(aggregationRuleNames as readonly string[]).includes(rule));
  if (unknownRule !== undefined) throw new SimulationError(`unknown rule "${unknownRule}"; known rules: ${aggregationRuleNames.join(', ')}`, unknownRule);
  // The default rule and the plain mean first: the targets compare them, and a run cut short still answers the question.
  const rules = [...new Set<AggregationRuleName>([DEFAULT_RULE.rule, 'mean', ...(asked as AggregationRuleName[])])];
  const attackOptions: AttackOptions = { signflipScale: 4, alieZ: alieZMax(peers, malicious), ipmEpsilon: DEFAULT_IPM_EPSILON };
  const world = await buildWorld({ model: MODEL, peers, seed: SEED, shards: parseShardLayout(options.shards ?? 'iid'), dataset, dataDir: options.datasetDir });
  // Every cell starts from the same genesis, so first-round honest training is done once for all.
  const cache = new PinnedModelUpdateCache(genesisCheckpoint({ layout: world.layout, params: world.initial, spec: world.spec }).modelHash);
  progress(
    `byzantine: ${MODEL} on ${dataset} (${world.shardLayout}) on ${world.backend}, ${peers} peers (${malicious} malicious) × ${ROUNDS} rounds, ${rules.length} rules × ${attacks.length} attacks + clean`,
  );

  const cells: (RobustnessCell & { seconds: number; refused: Record<string, number> })[] = [];
  for (const rule of rules) {
    for (const attack of ['clean', ...attacks] as const) {
      const result = await runSimulation({
        ...world,
        rounds: ROUNDS,
        inner: INNER,
        aggregation: { rule: ruleConfig(rule) },
        codec: 'fp32',
        maxNorm: MAX_UPDATE_NORM,
        attack: attack === 'clean' ? undefined : { name: attack, attackers: malicious, options: attackOptions },
        rewards: REWARDS,
        seed: SEED,
        curveTestLimit: CURVE_TEST_LIMIT,
        cache,
      });
      progress(`  ${rule} × ${attack}: accuracy ${result.accuracy.toFixed(4)}, attackers' reward share ${result.attackerRewardShare.toFixed(3)} (${result.seconds.toFixed(1)} s)`);
      cells.push({ rule, attack, accuracy: result.accuracy, attackerRewardShare: result.attackerRewardShare, seconds: result.seconds, refused: result.refused });
    }
  }

  await writeChartPng(
    robustnessChart({
      title: `${MODEL} on ${dataset} (${world.shardLayout} shards), ${peers} peers of which ${malicious} malicious, ${ROUNDS} DiLoCo rounds`,
      cells,
      defaultRule: DEFAULT_RULE.rule,
      attackers: `${malicious} of ${peers} peers`,
    }),
    pngPathFor(jsonFile),
  );

  const clean = new Map(cells.filter((cell) => cell.attack === 'clean').map((cell) => [cell.rule, cell.accuracy]));
  const results = cells
    .filter((cell) => cell.attack !== 'clean')
    .map((cell) => ({
      rule: cell.rule,
      attack: cell.attack,
      accuracy: rounded(cell.accuracy, 4),
      cleanAccuracy: rounded(clean.get(cell.rule)!, 4),
      attackerRewardShare: rounded(cell.attackerRewardShare, 4),
      ...(Object.keys(cell.refused).length > 0 ? { refused: cell.refused } : {}),
    }));
  const underDefault = results.filter((row) => row.rule === DEFAULT_RULE.rule);
  const meanRow = results.find((row) => row.rule === 'mean')!;
  const meanSignflip = results.find((row) => row.rule === 'mean' && row.attack === 'signflip');
  const defaultClean = underDefault[0].cleanAccuracy;
  const worstDrop = rounded(Math.max(...underDefault.map((row) => row.cleanAccuracy - row.accuracy)), 4);
  const maxAttackerShare = Math.max(...underDefault.map((row) => row.attackerRewardShare));
  return {
    suite: 'byzantine',
    model: MODEL,
    dataset,
    shards: world.shardLayout,
    peers,
    malicious,
    rounds: ROUNDS,
    defaultRule: DEFAULT_RULE.rule,
    defaultRuleConfig: DEFAULT_RULE,
    attackOptions,
    inner: INNER,
    results,
    targets: {
      defaultRuleCleanAccuracy: defaultClean,
      meanCleanAccuracy: meanRow.cleanAccuracy,
      defaultRuleWorstDrop: worstDrop,
      defaultRuleWorstAttack: underDefault.reduce((worst, row) => (row.cleanAccuracy - row.accuracy > worst.cleanAccuracy - worst.accuracy ? row : worst)).attack,
      defaultRuleMaxAttackerShare: maxAttackerShare,
      ...(meanSignflip ? { meanSignflipDrop: rounded(meanSignflip.cleanAccuracy - meanSignflip.accuracy, 4) } : {}),
      goals: { cleanAtLeastMeanMinus: TARGETS.cleanBelowMean, worstDropAtMost: TARGETS.worstDrop, attackerShareAtMost: TARGETS.attackerShare },
      met: defaultClean >= meanRow.cleanAccuracy - TARGETS.cleanBelowMean && worstDrop <= TARGETS.worstDrop && maxAttackerShare <= TARGETS.attackerShare,
    },
    backend: world.backend,
    firstRoundUpdatesShared: cache.hits,
    seconds: rounded(cells.reduce((sum, cell) => sum + cell.seconds, 0), 1),
  };
}

/** The default rule's name runs with the default's full settings; other rules with their own defaults. */
function ruleConfig(rule: AggregationRuleName): AggregationRuleInput {
  return rule === DEFAULT_RULE.rule ? DEFAULT_RULE : rule;
}
