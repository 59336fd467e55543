import { Command, InvalidArgumentError, Option } from 'commander';
import { attackNames, benchSuites, type BenchSuites } from '../../bench/index.ts';
import { DATASET_NAMES } from '../../core/defaults/index.ts';
import type { BenchFlags } from '../actions/bench.ts';
import { action } from '../support/action.ts';
import { integer, oneOf, parsePositiveInt } from '../support/parse.ts';
import { shardsArgument } from './simulate.ts';

/** bench/'s suites and the demo's, which lives with the demo in cli/demo (bench/ does not import the CLI). */
const suites: BenchSuites = { ...benchSuites, demo: () => import('../demo/bench-suite.ts') };

/** `--attacks a,b`: names from bench/sim's list, refused in one line otherwise. */
function attackList(value: string): string[] {
  const names = value.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(attackNames as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) throw new InvalidArgumentError(`unknown attack "${unknown[0] ?? value}"; known attacks: ${attackNames.join(', ')}`);
  return names;
}

/** `gradnet bench <suite> --json FILE`: runs one benchmark suite and writes its figures. */
export function benchCommand(): Command {
  const names = Object.keys(suites);
  return new Command('bench')
    .description(`run a benchmark suite (${names.join(', ')}) and write its JSON (and PNG where it has a picture)`)
    .argument('<suite>', `one of: ${names.join(', ')}, or all`, oneOf([...names, 'all'], 'suite'))
    .option('--json <file>', 'where to write the JSON result (default bench/results/<suite>.json)')
    .option('--out-dir <dir>', 'with `all`: the folder for every <suite>.json and .png', 'bench/results')
    .option('--model <model>', 'accuracy, compression, long: the model to train, mlp or cnn (default mlp, accuracy cnn; default JSON bench/results/<suite>-cnn.json)', oneOf(['mlp', 'cnn'], 'model'))
    .option('--rounds <n>', 'long: how many rounds the 3 peers train (default 200)', parsePositiveInt)
    .option('--png <file>', 'long: where the loss and accuracy curves go (default beside the JSON)')
    .option('--peers <n>', 'network: how many daemons, each on a host of its own (default 4); byzantine: simulated peers (default 10)', parsePositiveInt)
    .option('--malicious <n>', 'byzantine: how many of the peers attack, the last ones (default 3)', integer())
    .option('--shards <layout>', 'byzantine: how the training split is cut, iid (default) or dirichlet:ALPHA (label skew, e.g. dirichlet:0.5)', shardsArgument)
    .addOption(new Option('--dataset <name>', 'accuracy, byzantine, compression, train: the dataset to train on (default mnist; fashion-mnist needs Debian\'s dataset-fashion-mnist, cifar10 --dataset-dir; default JSON bench/results/<suite>-<dataset>.json)').choices([...DATASET_NAMES]))
    .option('--dataset-dir <dir>', 'with --dataset: the folder of its files (cifar10: data_batch_1.bin … data_batch_5.bin, test_batch.bin)')
    .option('--attacks <list>', `byzantine: comma-separated attacks to run (default all: ${attackNames.join(',')})`, attackList)
    .option('--rules <list>', 'byzantine: comma-separated aggregation rules to compare (default all; the default rule and mean always run)', (value: string) => value.split(',').map((rule) => rule.trim()).filter((rule) => rule !== ''))
    .option('--loopback', 'network: run the daemons as processes on 127.0.0.1 (no NAT, no shaping) instead of network namespaces; the default without root')
    .action(action(async (suite: string, flags: BenchFlags) => (await import('../actions/bench.ts')).runBench(suite, flags, suites)));
}
