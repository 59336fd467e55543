import { Command, Option } from 'commander';
import type { GenesisFlags } from '../actions/genesis.ts';
import { action } from '../support/action.ts';
import { DATASET_NAMES } from '../../core/defaults/index.ts';
import { integer } from '../support/parse.ts';

/** `gradnet genesis`: the model hash of round 0 a deployment needs, for a model and seed. */
export function genesisCommand(): Command {
  return new Command('genesis')
    .description("print the genesis model hash of a model and seed (what `gradnet deploy --genesis-hash` and the coordinator's --model/--model-seed must agree on)")
    .addOption(new Option('--model <name>', 'model: mlp or cnn (default mlp)').choices(['mlp', 'cnn']))
    .option('--model-seed <n>', 'seed of the initial parameters (default 1)', integer())
    .option('--seed <n>', 'same as --model-seed', integer())
    .addOption(new Option('--dataset <name>', 'what the model trains on (default mnist); the hash commits to it').choices(DATASET_NAMES))
    .option('--json', 'print {"model","seed","dataset","genesisHash"}')
    .action(action(async (flags: GenesisFlags & { seed?: number }) => (await import('../actions/genesis.ts')).printGenesis({ ...flags, modelSeed: flags.modelSeed ?? flags.seed })));
}
