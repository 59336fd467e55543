import { runAllBenchSuites, runBenchSuite, type BenchSuites } from '../../bench/index.ts';
import { CliError } from '../support/errors.ts';

export interface BenchFlags {
  json?: string;
  outDir: string;
}

/** `gradnet bench <suite>`: one suite to its JSON file, or `all` of them into --out-dir. */
export async function runBench(suite: string, flags: BenchFlags, suites: BenchSuites): Promise<void> {
  if (suite === 'all') {
    if (flags.json !== undefined) throw new CliError('BENCH_ALL_JSON', '`bench all` writes one file per suite; use --out-dir instead of --json', { value: flags.json });
    const outcomes = await runAllBenchSuites(flags.outDir, undefined, suites);
    process.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
    if (Object.values(outcomes).some((outcome) => !outcome.ok)) process.exitCode = 1;
    return;
  }
  const result = await runBenchSuite(suite, flags.json ?? `bench/results/${suite}.json`, suites);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
