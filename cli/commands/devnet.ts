import { Command, Option } from 'commander';
import type { DevnetFlags } from '../actions/devnet.ts';
import { DATASET_NAMES } from '../../core/defaults/index.ts';
import { action } from '../support/action.ts';
import { integer, parseAddress, parseHash, parsePort, parsePositiveInt, parseSeconds, parseTokens } from '../support/parse.ts';

/** `gradnet devnet`: a local Hardhat chain with gradnet deployed, until Ctrl-C / SIGTERM. */
export function devnetCommand(): Command {
  return new Command('devnet')
    .description('start a local Hardhat chain, deploy gradnet (genesis: the default model mlp, seed 1), fund DEV-ONLY accounts, run until Ctrl-C')
    .option('--host <address>', 'address the JSON-RPC server listens on; 0.0.0.0 lets other hosts in (dev chains only: its accounts are public)', '127.0.0.1')
    .option('--port <port>', 'JSON-RPC port', parsePort, 8545)
    .option('--accounts <n>', 'DEV-ONLY accounts to unlock and fund', parsePositiveInt, 10)
    .addOption(new Option('--fund <grad>', 'GRAD minted to each account').argParser(parseTokens).default(parseTokens('10000'), '10000'))
    .option('--coordinator <address>', 'coordinator address (COORDINATOR_ROLE); default account 0', parseAddress)
    .addOption(new Option('--model <name>', 'model whose genesis round 0 holds: mlp or cnn (default mlp)').choices(['mlp', 'cnn']))
    .option('--model-seed <n>', 'seed of the genesis parameters (default 1)', integer())
    .addOption(new Option('--dataset <name>', 'what the genesis model trains on (default mnist); the coordinator and daemons run with the same --dataset').choices(DATASET_NAMES))
    .option('--genesis-hash <hash>', 'model hash of round 0, instead of --model/--model-seed (see gradnet genesis)', parseHash)
    .option('--min-stake <grad>', 'minimum stake in GRAD (default 100)', parseTokens)
    .option('--unbonding-period <seconds>', 'seconds between requestExit and withdraw (default 3600)', parseSeconds)
    .option('--challenge-window <seconds>', 'seconds a committed round stays challengeable before its rewards are claimable (default 10)', parseSeconds)
    .option('--deployments <file>', 'where to write the address book (default deployments/31337.json)')
    .action(action(async (flags: DevnetFlags) => (await import('../actions/devnet.ts')).runDevnet(flags)));
}
