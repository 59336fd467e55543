import { Command, Option } from 'commander';
import type { DemoFlags } from '../actions/demo.ts';
import { action } from '../support/action.ts';
import { CODEC_IDS, DEFAULT_CODEC, DEFAULT_TOPK_FRACTION } from '../../core/defaults/index.ts';
import { integer, parsePort, parsePositiveNumber } from '../support/parse.ts';

/** `gradnet demo`: the whole network on this machine, trained for a few rounds, then paid and audited. */
export function demoCommand(): Command {
  return new Command('demo')
    .description('run a local network end to end: devnet, registered peers, coordinator and peer daemons as processes; train, commit, pay, audit')
    .option('--peers <n>', 'peer daemons to run', integer({ min: 1, max: 16 }), 3)
    .option('--rounds <n>', 'rounds to train', integer({ min: 1, max: 100 }), 5)
    .addOption(new Option('--model <name>', 'model to train').choices(['mlp', 'cnn']).default('mlp'))
    .option('--rpc <url>', 'use this dev chain (id 31337) instead of starting a devnet: the contracts of its address book when they fit the demo, else fresh ones written there')
    .option('--deployments <file>', 'with --rpc: the address book to reuse or write (default deployments/<chainId>.json, what gradnet rounds --rpc reads)')
    .option('--json', 'print only one JSON object on stdout: {rounds, finalAccuracy, rewards, audit}; logs go to stderr')
    .option('--inner-steps <n>', 'local steps per round on each peer', integer({ min: 1, max: 100_000 }), 100)
    .option('--learning-rate <x>', 'local Adam learning rate', parsePositiveNumber, 0.003)
    .addOption(new Option('--codec <codec>', 'update compression').choices([...CODEC_IDS]).default(DEFAULT_CODEC))
    .option('--topk-fraction <x>', `fraction of coordinates a sparse codec (topk, topksign) sends, error feedback keeps the rest (default: the daemon's, ${DEFAULT_TOPK_FRACTION})`, parsePositiveNumber)
    .option('--timeout <seconds>', 'give up after this long', integer({ min: 10, max: 86_400 }), 900)
    .option('--explorer', 'serve the network explorer beside the demo and print its URL')
    .option('--explorer-port <port>', 'port of the explorer on 127.0.0.1, 0 for any', parsePort, 7080)
    .option('--keep', 'keep the work directory (keystores, checkpoints, databases) for inspection')
    .option('--verbose', 'forward every child process log line to stderr')
    .action(action(async (flags: DemoFlags) => (await import('../actions/demo.ts')).runDemoAndReport(flags)));
}
