import { Command, InvalidArgumentError, Option } from 'commander';
import { attackNames, parseShardLayout } from '../../bench/index.ts';
import { CODEC_IDS, DATASET_NAMES, DEFAULT_CODEC, DEFAULT_DATASET } from '../../core/defaults/index.ts';
import type { SimulateFlags } from '../actions/simulate.ts';
import { action } from '../support/action.ts';
import { integer } from '../support/parse.ts';

/** `--shards iid|dirichlet:ALPHA`, refused in one line like every other bad argument. */
export function shardsArgument(value: string): string {
  try {
    parseShardLayout(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

/** `gradnet simulate`: the network's training, codec, validator, aggregation and scoring in one process, with attackers. */
export function simulateCommand(): Command {
  return new Command('simulate')
    .description(
      'simulate a network in one process (the daemons\' training and codec, signed updates through the validator, the coordinator\'s rule, ' +
        'outer step and scoring): a table per round on stdout, then the same network without attackers for cleanAccuracy; progress on stderr',
    )
    .option('--peers <n>', 'simulated peers, each with a shard of its own', integer({ min: 2, max: 200 }), 10)
    .option('--malicious <n>', 'how many of the peers attack (the last ones); 0 runs the clean network only', integer({ min: 0, max: 199 }), 3)
    .addOption(new Option('--attack <name>', 'what the malicious peers do (labelflip: train on labels y → 9 − y; ipm: send −0.1 × the honest mean; signflip: −4 × their own update; alie: mean − z·std; gaussian, zero, copy)').choices([...attackNames]).default('labelflip'))
    .option('--rule <rule>', 'aggregation rule: default (the coordinator\'s: cosineWeighted after median-norm clipping), mean, median, trimmedMean, multiKrum, centeredClip, cosineWeighted, or a JSON object such as \'{"rule":"mean","weighting":"uniform"}\'', 'default')
    .option('--shards <layout>', 'how the training split is cut: iid, or dirichlet:ALPHA (label skew; smaller ALPHA, more skew)', shardsArgument, 'iid')
    .addOption(new Option('--dataset <name>', 'dataset (fashion-mnist needs Debian\'s dataset-fashion-mnist; cifar10 needs --dataset-dir)').choices([...DATASET_NAMES]).default(DEFAULT_DATASET))
    .option('--dataset-dir <dir>', 'folder of the dataset\'s files (required for cifar10: data_batch_1.bin … test_batch.bin)')
    .addOption(new Option('--model <name>', 'model to train').choices(['mlp', 'cnn']).default('mlp'))
    .option('--rounds <n>', 'outer (DiLoCo) rounds', integer({ min: 1, max: 10_000 }), 8)
    .option('--inner-steps <n>', 'local Adam steps (batches of 32) per peer per round', integer({ min: 1, max: 100_000 }), 20)
    .addOption(new Option('--codec <codec>', 'update compression (sparse codecs keep the daemon\'s top-k fraction and error feedback)').choices([...CODEC_IDS]).default(DEFAULT_CODEC))
    .option('--seed <n>', 'seed of the model, the shards, the training and the attacks', integer(), 11)
    .option('--json <file>', 'write the result here: {accuracy, cleanAccuracy, attackerRewardShare, curve: [{round, accuracy, loss}], cleanCurve, …} (default: none)')
    .option('--png <file>', 'draw both runs\' accuracy per round here (default: beside --json, none without it)')
    .action(action(async (flags: SimulateFlags) => (await import('../actions/simulate.ts')).runSimulate(flags)));
}
