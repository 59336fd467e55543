import { Command } from 'commander';
import type { StakeFlags } from '../actions/stake.ts';
import { action } from '../support/action.ts';
import { withChainOptions, withWalletOptions } from '../support/options.ts';
import { parseTokens } from '../support/parse.ts';

const stake = () => import('../actions/stake.ts');

/** An owner subcommand: the chain and wallet options, and which owner keystore signs. */
function ownerCommand(name: string): Command {
  return withWalletOptions(withChainOptions(new Command(name)))
    .option('--owner <select>', 'owner keystore address or label (default: the only owner keystore)');
}

/** `gradnet stake add|exit|withdraw`: the owner's stake in the NodeRegistry after `gradnet register`. */
export function stakeCommand(): Command {
  return new Command('stake')
    .description("change a registered node's stake from its owner wallet: add to it, exit (start unbonding), withdraw once unbonded")
    .addCommand(ownerCommand('add')
      .description('add GRAD to the stake of the owner\'s node (approve, then increaseStake); brings a slashed node back to the minimum')
      .argument('<amount>', 'GRAD to add, e.g. 100', parseTokens)
      .action(action(async (amount: bigint, flags: StakeFlags) => (await stake()).runStake('add', flags, amount))))
    .addCommand(ownerCommand('exit')
      .description('ask to exit: the node stops counting as active now, and its stake can be withdrawn after the unbonding period')
      .action(action(async (flags: StakeFlags) => (await stake()).runStake('exit', flags))))
    .addCommand(ownerCommand('withdraw')
      .description('pay the stake back to the owner once the unbonding period is over (says how long is left otherwise)')
      .action(action(async (flags: StakeFlags) => (await stake()).runStake('withdraw', flags))));
}
