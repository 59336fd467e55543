import { Command } from 'commander';
import { action } from '../support/action.ts';
import { withChainOptions, withWalletOptions } from '../support/options.ts';

/** `gradnet rewards [--claim]`: what the owner has earned and can claim, and the claim itself. */
export function rewardsCommand(): Command {
  return withWalletOptions(withChainOptions(new Command('rewards')))
    .description('the owner\'s rewards: the proof from the coordinator, checked against the on-chain root, and with --claim the payout')
    .option('--owner <select>', 'owner keystore address or label, or any address to look up (default: the only owner keystore)')
    .option('--claim', 'send the claim transaction (signed by the owner key)')
    .option('--json', 'print one JSON object')
    .action(action(async (options: { owner?: string; claim?: boolean; json?: boolean } & Record<string, unknown>) => (await import('../actions/rewards.ts')).showRewards(options)));
}
