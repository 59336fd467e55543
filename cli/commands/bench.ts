import { Command } from 'commander';
import { benchSuites, type BenchSuites } from '../../bench/index.ts';
import { action } from '../support/action.ts';
import { oneOf, parsePositiveInt } from '../support/parse.ts';

/** bench/'s suites and the demo's, which lives with the demo in cli/demo (bench/ does not import the CLI). */
const suites: BenchSuites = { ...benchSuites, demo: () => import('../demo/bench-suite.ts') };

/** `gradnet bench <suite> --json FILE`: runs one benchmark suite and writes its figures. */
export function benchCommand(): Command {
  const names = Object.keys(suites);
  return new Command('bench')
    .description(`run a benchmark suite (${names.join(', ')}) and write its JSON (and PNG where it has a picture)`)
    .argument('<suite>', `one of: ${names.join(', ')}, or all`, oneOf([...names, 'all'], 'suite'))
    .option('--json <file>', 'where to write the JSON result (default bench/results/<suite>.json)')
    .option('--out-dir <dir>', 'with `all`: the folder for every <suite>.json and .png', 'bench/results')
    .option('--model <model>', 'compression, long: the model to train, mlp (default) or cnn (default JSON bench/results/<suite>-cnn.json)', oneOf(['mlp', 'cnn'], 'model'))
    .option('--rounds <n>', 'long: how many rounds the 3 peers train (default 200)', parsePositiveInt)
    .option('--png <file>', 'long: where the loss and accuracy curves go (default beside the JSON)')
    .option('--peers <n>', 'network: how many daemons, each on a host of its own (default 4)', parsePositiveInt)
    .action(action(async (suite: string, flags: { json?: string; outDir: string; model?: string; peers?: number; rounds?: number; png?: string }) => (await import('../actions/bench.ts')).runBench(suite, flags, suites)));
}
