import { Command, InvalidArgumentError } from 'commander';
import { benchSuites, runBenchSuite } from '../../bench/index.ts';

/** `gradnet bench <suite> --json FILE`: runs one benchmark suite and writes its figures. */
export function benchCommand(): Command {
  const names = Object.keys(benchSuites);
  return new Command('bench')
    .description(`run a benchmark suite (${names.join(', ')}) and write its JSON (and PNG where it has a picture)`)
    .argument('<suite>', `one of: ${names.join(', ')}`, (value: string) => {
      if (!(value in benchSuites)) throw new InvalidArgumentError(`unknown suite "${value}"; known suites: ${names.join(', ')}`);
      return value;
    })
    .option('--json <file>', 'where to write the JSON result (default bench/results/<suite>.json)')
    .action(async (suite: string, options: { json?: string }) => {
      const file = options.json ?? `bench/results/${suite}.json`;
      const result = await runBenchSuite(suite, file);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
