import { Command, InvalidArgumentError } from 'commander';
import { benchSuites, runAllBenchSuites, runBenchSuite } from '../../bench/index.ts';

/** `gradnet bench <suite> --json FILE`: runs one benchmark suite and writes its figures. */
export function benchCommand(): Command {
  const names = Object.keys(benchSuites);
  return new Command('bench')
    .description(`run a benchmark suite (${names.join(', ')}) and write its JSON (and PNG where it has a picture)`)
    .argument('<suite>', `one of: ${names.join(', ')}, or all`, (value: string) => {
      if (value !== 'all' && !(value in benchSuites)) throw new InvalidArgumentError(`unknown suite "${value}"; known suites: ${names.join(', ')}`);
      return value;
    })
    .option('--json <file>', 'where to write the JSON result (default bench/results/<suite>.json)')
    .option('--out-dir <dir>', 'with `all`: the folder for every <suite>.json and .png', 'bench/results')
    .action(async (suite: string, options: { json?: string; outDir: string }, command: Command) => {
      if (suite === 'all') {
        if (options.json) command.error('`bench all` writes one file per suite; use --out-dir instead of --json');
        const outcomes = await runAllBenchSuites(options.outDir);
        process.stdout.write(`${JSON.stringify(outcomes, null, 2)}\n`);
        if (Object.values(outcomes).some((outcome) => !outcome.ok)) process.exitCode = 1;
        return;
      }
      const file = options.json ?? `bench/results/${suite}.json`;
      const result = await runBenchSuite(suite, file);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
