import { runAllBenchSuites, runBenchSuite, type BenchSuiteOptions, type BenchSuites } from '../../bench/index.ts';
import { CliError } from '../support/errors.ts';

/** The bench command's flags: where the JSON goes, and each suite's options (bench's BenchSuiteOptions). */
export type BenchFlags = Omit<BenchSuiteOptions, 'jsonFile'> & { json?: string; outDir: string };

/** The suites that train a model: they take --dataset (and --dataset-dir); some take --model. */
const DATASET_SUITES = ['accuracy', 'byzantine', 'compression', 'train'];
const MODEL_SUITES = ['accuracy', 'compression', 'long'];
/** A suite's model when --model is not given, if not the MLP: its JSON goes to the file without a model suffix. */
const SUITE_MODELS: Record<string, string> = { accuracy: 'cnn' };

/** `gradnet bench <suite>`: one suite to its JSON file, or `all` of them into --out-dir. */
export async function runBench(suite: string, flags: BenchFlags, suites: BenchSuites): Promise<void> {
  if (flags.model !== undefined && !MODEL_SUITES.includes(suite)) {
    throw new CliError('BENCH_MODEL', `--model applies to bench ${MODEL_SUITES.join(', ')} only, not ${suite}`, { value: flags.model });
  }
  for (const flag of ['dataset', 'datasetDir'] as const) {
    if (flags[flag] !== undefined && !DATASET_SUITES.includes(suite)) {
      throw new CliError('BENCH_DATASET', `--${flag === 'dataset' ? 'dataset' : 'dataset-dir'} applies to bench ${DATASET_SUITES.join(', ')} only, not ${suite}`, { value: flags[flag] });
    }
  }
  for (const flag of ['rounds', 'png'] as const) {
    if (flags[flag] !== undefined && suite !== 'long') throw new CliError('BENCH_LONG_ONLY', `--${flag} applies to bench long only, not ${suite}`, { value: flags[flag] });
  }
  if (flags.peers !== undefined && suite !== 'network' && suite !== 'byzantine') {
    throw new CliError('BENCH_PEERS', `--peers applies to bench network and byzantine only, not ${suite}`, { value: flags.peers });
  }
  for (const flag of ['malicious', 'shards', 'attacks', 'rules'] as const) {
    if (flags[flag] !== undefined && suite !== 'byzantine') {
      throw new CliError('BENCH_BYZANTINE_ONLY', `--${flag} applies to bench byzantine only, not ${suite}`, { value: flags[flag] });
    }
  }
  if (flags.loopback && suite !== 'network') {
    throw new CliError('BENCH_LOOPBACK', `--loopback applies to bench network only, not ${suite}`, { value: suite });
  }
  if (suite === 'all') {
    if (flags.json !== undefined) throw new CliError('BENCH_ALL_JSON', '`bench all` writes one file per suite; use --out-dir instead of --json', { value: flags.json });
    const outcomes = await runAllBenchSuites(flags.outDir, undefined, suites);
    process.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
    if (Object.values(outcomes).some((outcome) => !outcome.ok)) process.exitCode = 1;
    return;
  }
  const modelSuffix = flags.model === undefined || flags.model === (SUITE_MODELS[suite] ?? 'mlp') ? '' : `-${flags.model}`;
  const datasetSuffix = flags.dataset === undefined || flags.dataset === 'mnist' ? '' : `-${flags.dataset}`;
  const result = await runBenchSuite(suite, flags.json ?? `bench/results/${suite}${datasetSuffix}${modelSuffix}.json`, suites, { model: flags.model, ...(flags.peers === undefined ? {} : { peers: flags.peers }), ...(flags.loopback ? { loopback: true } : {}), ...byzantineOptions(flags), ...datasetOptions(flags), ...longOptions(flags) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

/** The long suite's options that were given. */
function longOptions(flags: BenchFlags): Pick<BenchFlags, 'rounds' | 'png'> {
  return { ...(flags.rounds === undefined ? {} : { rounds: flags.rounds }), ...(flags.png === undefined ? {} : { png: flags.png }) };
}

/** The byzantine suite's options that were given (the suite's defaults fill the rest). */
function byzantineOptions(flags: BenchFlags): Pick<BenchFlags, 'malicious' | 'shards' | 'attacks' | 'rules'> {
  const { malicious, shards, attacks, rules } = flags;
  return Object.fromEntries(Object.entries({ malicious, shards, attacks, rules }).filter(([, value]) => value !== undefined));
}

/** The dataset options that were given (MNIST from its package when none). */
function datasetOptions(flags: BenchFlags): Pick<BenchFlags, 'dataset' | 'datasetDir'> {
  return { ...(flags.dataset === undefined ? {} : { dataset: flags.dataset }), ...(flags.datasetDir === undefined ? {} : { datasetDir: flags.datasetDir }) };
}
