import { Command } from 'commander';
import { benchCommand } from './commands/bench.ts';
import { deployCommand } from './commands/deploy.ts';
import { devnetCommand } from './commands/devnet.ts';
import { walletCommand } from './commands/wallet.ts';
import { daemonCommand } from './commands/daemon.ts';
import { rewardsCommand } from './commands/rewards.ts';
import { demoCommand } from './commands/demo.ts';
import { nodesCommand } from './commands/nodes.ts';
import { registerCommand } from './commands/register.ts';
import { roundsCommand } from './commands/rounds.ts';
import { statusCommand } from './commands/status.ts';
import { coordinatorCommand } from './commands/coordinator.ts';

/** Builds the `gradnet` command tree; every subcommand carries its own `--help`. */
export function buildProgram(): Command {
  const program = new Command('gradnet')
    .description('gradnet: blockchain-incentivised decentralized training over libp2p')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)');
  program.addCommand(benchCommand());
  program.addCommand(devnetCommand());
  program.addCommand(deployCommand());
  program.addCommand(walletCommand());
  program.addCommand(registerCommand());
  program.addCommand(daemonCommand());
  program.addCommand(roundsCommand());
  program.addCommand(rewardsCommand());
  program.addCommand(nodesCommand());
  program.addCommand(statusCommand());
  program.addCommand(coordinatorCommand());
  program.addCommand(demoCommand());
  return program;
}
