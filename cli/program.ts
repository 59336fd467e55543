import { Command } from 'commander';
import { benchCommand } from './commands/bench.ts';
import { challengeCommand } from './commands/challenge.ts';
import { coordinatorCommand } from './commands/coordinator.ts';
import { daemonCommand } from './commands/daemon.ts';
import { demoCommand } from './commands/demo.ts';
import { deployCommand } from './commands/deploy.ts';
import { devnetCommand } from './commands/devnet.ts';
import { explorerCommand } from './commands/explorer.ts';
import { genesisCommand } from './commands/genesis.ts';
import { nodesCommand } from './commands/nodes.ts';
import { registerCommand } from './commands/register.ts';
import { rewardsCommand } from './commands/rewards.ts';
import { roundsCommand } from './commands/rounds.ts';
import { simulateCommand } from './commands/simulate.ts';
import { stakeCommand } from './commands/stake.ts';
import { statusCommand } from './commands/status.ts';
import { walletCommand } from './commands/wallet.ts';

/**
 * The `gradnet` command tree; every subcommand carries its own `--help`. Building it loads
 * commander and cli/commands only: each action imports its implementation (cli/actions) when it
 * runs, so `gradnet --help` does not pay for tfjs, libp2p or viem.
 */
export function buildProgram(): Command {
  const program = new Command('gradnet')
    .description('gradnet: blockchain-incentivised decentralized training over libp2p')
    .version('0.1.0');
  for (const command of [
    benchCommand(),
    simulateCommand(),
    devnetCommand(),
    genesisCommand(),
    deployCommand(),
    walletCommand(),
    registerCommand(),
    stakeCommand(),
    daemonCommand(),
    roundsCommand(),
    challengeCommand(),
    rewardsCommand(),
    nodesCommand(),
    statusCommand(),
    coordinatorCommand(),
    demoCommand(),
    explorerCommand(),
  ]) {
    program.addCommand(command);
  }
  oneLineArgumentErrors(program);
  return program;
}

/**
 * Bad arguments (commander's own errors and the parsers' in support/parse.ts) print as one line,
 * `error: … (see \`gradnet <command> --help\`)`, and exit 1, like a failed action (support/action.ts).
 */
function oneLineArgumentErrors(command: Command): void {
  const usage = commandPath(command);
  command.configureOutput({ outputError: (message, write) => write(`${message.trimEnd()} (see \`${usage} --help\`)\n`) });
  for (const subcommand of command.commands) oneLineArgumentErrors(subcommand);
}

function commandPath(command: Command): string {
  return command.parent === null ? command.name() : `${commandPath(command.parent)} ${command.name()}`;
}
