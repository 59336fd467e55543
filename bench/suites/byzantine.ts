import { aggregationRuleNames, DEFAULT_RULE, type AggregationRuleInput, type AggregationRuleName } from '../../core/aggregate/index.ts';
import { genesisCheckpoint } from '../../core/tensor/index.ts';
import { pngPathFor, robustnessChart, writeChartPng, type RobustnessCell } from '../plot/index.ts';
import { alieZMax, attackNames, buildWorld, MAX_UPDATE_NORM, PinnedModelUpdateCache, progress, REWARDS, rounded, runSimulation, type AttackOptions } from '../sim/index.ts';

const MODEL = 'mlp';
const PEERS = 10;
const MALICIOUS = 3;
const ROUNDS = 8;
const INNER = { innerSteps: 20, batchSize: 32, learningRate: 0.002 };
const SEED = 11;
/** Test examples for the per-round curve (the final figure uses all 10,000). */
const CURVE_TEST_LIMIT = 1000;
const ATTACK_OPTIONS: AttackOptions = { signflipScale: 4, alieZ: alieZMax(PEERS, MALICIOUS) };

/**
 * Robustness grid: 10 peers, the last 3 malicious, every attack under every aggregation rule, plus
 * a clean run per rule. The rule named by the coordinator's default runs with the default's
 * settings (its norm clipping too); the others with their own defaults.
 */
export async function run({ jsonFile }: { jsonFile: string }): Promise<Record<string, unknown>> {
  const world = await buildWorld({ model: MODEL, peers: PEERS, seed: SEED });
  // Every cell starts from the same genesis, so first-round honest training is done once for all.
  const cache = new PinnedModelUpdateCache(genesisCheckpoint({ layout: world.layout, params: world.initial, spec: world.spec }).modelHash);
  progress(`byzantine: ${MODEL} on ${world.backend}, ${PEERS} peers (${MALICIOUS} malicious) × ${ROUNDS} rounds, ${aggregationRuleNames.length} rules × ${attackNames.length} attacks + clean`);

  const cells: (RobustnessCell & { seconds: number; refused: Record<string, number> })[] = [];
  for (const rule of aggregationRuleNames) {
    for (const attack of ['clean', ...attackNames] as const) {
      const result = await runSimulation({
        ...world,
        rounds: ROUNDS,
        inner: INNER,
        aggregation: { rule: ruleConfig(rule) },
        codec: 'fp32',
        maxNorm: MAX_UPDATE_NORM,
        attack: attack === 'clean' ? undefined : { name: attack, attackers: MALICIOUS, options: ATTACK_OPTIONS },
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
      title: `${MODEL}, ${PEERS} peers of which ${MALICIOUS} malicious, ${ROUNDS} DiLoCo rounds`,
      cells,
      defaultRule: DEFAULT_RULE.rule,
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
  const meanSignflip = results.find((row) => row.rule === 'mean' && row.attack === 'signflip')!;
  return {
    suite: 'byzantine',
    model: MODEL,
    peers: PEERS,
    malicious: MALICIOUS,
    rounds: ROUNDS,
    defaultRule: DEFAULT_RULE.rule,
    defaultRuleConfig: DEFAULT_RULE,
    attackOptions: ATTACK_OPTIONS,
    inner: INNER,
    results,
    targets: {
      defaultRuleWorstDrop: rounded(Math.max(...underDefault.map((row) => row.cleanAccuracy - row.accuracy)), 4),
      defaultRuleMaxAttackerShare: Math.max(...underDefault.map((row) => row.attackerRewardShare)),
      meanSignflipDrop: rounded(meanSignflip.cleanAccuracy - meanSignflip.accuracy, 4),
      met:
        underDefault.every((row) => row.accuracy >= row.cleanAccuracy - 0.02 && row.attackerRewardShare <= 0.05) &&
        meanSignflip.cleanAccuracy - meanSignflip.accuracy >= 0.1,
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
