import { Command } from 'commander';
import type { ChallengeFlags } from '../actions/challenge.ts';
import { action } from '../support/action.ts';
import { withChainOptions, withWalletOptions } from '../support/options.ts';
import { collect, parsePositiveInt } from '../support/parse.ts';

/** `gradnet challenge ROUND --verdicts FILE…`: void a wrong round with the auditors' signed verdicts, slashing the coordinator's bond. */
export function challengeCommand(): Command {
  return withWalletOptions(withChainOptions(new Command('challenge')))
    .description(
      'challenge a pending round on chain: submit the auditors\' signed mismatch/unavailable verdicts against it in one ' +
        'RoundChallenges.challengeRound transaction. If the nodes behind them hold at least the contract\'s threshold of the ' +
        'active stake (default one third), the round and every later one are voided, the ledger\'s head moves back, and the ' +
        'coordinator\'s bond is slashed: a share to you, the rest to the RewardVault. Auditing daemons do this by themselves; ' +
        'this command is the manual path. Before sending it checks everything the contract checks, and refuses with the ' +
        'reason: an unknown or already voided round, a final round (its challenge window is over), not enough stake against it',
    )
    .argument('<round>', 'the round to challenge (a committed round still in its challenge window)', parsePositiveInt)
    .requiredOption(
      '--verdicts <file>',
      'signed verdicts to submit (repeatable): a JSON array, or one JSON object per line, of ' +
        '{ round, modelHash, rewardsRoot, verdict: "mismatch"|"unavailable" (or 1|2), nodeKey, signature } as auditors sign them ' +
        '(EIP-712 Verdict in the protocol domain); a daemon\'s JSON log works as it is (it logs every verdict it signs or hears, ' +
        'signature included); verdicts about other rounds or commits, match verdicts, bad signatures, ' +
        'repeated node keys and inactive nodes are left out',
      collect,
    )
    .option('--owner <select>', 'owner keystore that sends the transaction and earns the challenger\'s share (default: the only owner keystore)')
    .option('--dry-run', 'check the round and the verdicts and say whether they are enough; send nothing (no key needed)')
    .option('--json', 'print one JSON object (round, throughRound, coordinator, bondSlashed, challengerShare, verdicts, stakeAgainst, totalActiveStake, txHash)')
    .action(action(async (round: number, flags: ChallengeFlags) => (await import('../actions/challenge.ts')).challenge(round, flags)));
}
