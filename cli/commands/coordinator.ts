import { Command } from 'commander';
import type { CoordinatorFlags } from '../actions/coordinator.ts';
import { action } from '../support/action.ts';
import { withDeprecatedRpcUrl } from '../support/options.ts';
import { collect, integer, parsePort, parsePositiveInt } from '../support/parse.ts';

const wholeNumber = integer();

/**
 * `gradnet coordinator`: runs the coordinator until SIGINT/SIGTERM (or --max-rounds). Settings:
 * a JSON file (--config, the shape of CoordinatorConfigInput), then the GRADNET_* variables every
 * command shares, then flags on top. The wallet: an encrypted keystore (--key), or on a dev chain
 * GRADNET_COORDINATOR_PRIVATE_KEY.
 */
export function coordinatorCommand(): Command {
  return withDeprecatedRpcUrl(new Command('coordinator'))
    .description('run the coordinator: collect updates, aggregate, score, reward and commit each round on chain')
    .option('--config <file>', 'JSON config file (see coordinator/config.ts for every field)')
    .option('--rpc <url>', 'JSON-RPC endpoint (GRADNET_RPC_URL; default http://127.0.0.1:8545)')
    .option('--deployments <file>', 'address book (GRADNET_DEPLOYMENTS; default deployments/<chainId>.json)')
    .option('--data-dir <dir>', 'database and checkpoints (default ~/.gradnet/coordinator)')
    .option('--api-host <host>', 'HTTP API host (default 127.0.0.1)')
    .option('--api-port <port>', 'HTTP API port, 0 for any (default 7070)', parsePort)
    .option('--listen <multiaddr>', 'libp2p listen address (repeatable)', collect)
    .option('--announce <multiaddr>', 'address daemons dial to reach the coordinator, e.g. /ip4/<public ip>/tcp/4001 (repeatable; default: the listen addresses)', collect)
    .option('--mdns', 'also find this deployment\'s daemons on the local network by multicast DNS, for a LAN (GRADNET_MDNS=true; default off)')
    .option('--bootstrap <multiaddr>', 'peer to dial at start, ending in /p2p/<id> (repeatable)', collect)
    .option('--quorum <n>', 'fewest accepted updates a round needs', parsePositiveInt)
    .option('--deadline-ms <ms>', 'how long a round collects before it may close', wholeNumber)
    .option('--max-wait-ms <ms>', 'longest a round waits for quorum', wholeNumber)
    .option('--max-rounds <n>', 'stop after committing this many rounds', wholeNumber)
    .option('--rule <rule>', 'aggregation rule: mean, median, trimmedMean, multiKrum, centeredClip, cosineWeighted (default: core/defaults DEFAULT_AGGREGATION_RULE, cosineWeighted after median-norm clipping)')
    .option('--model <name>', 'model trained: mlp or cnn (default mlp); must match the genesis deployed')
    .option('--model-seed <n>', 'seed of the genesis parameters (default 1)', wholeNumber)
    .option('--dataset <name>', 'what the model trains on and rounds are scored on: mnist, fashion-mnist or cifar10 (GRADNET_DATASET; default mnist); must match the genesis deployed')
    .option('--dataset-dir <dir>', 'folder of the dataset\'s files; required for cifar10 (its data_batch_N.bin, test_batch.bin) (GRADNET_DATASET_DIR)')
    .option('--key <address|label>', 'the coordinator wallet: an owner keystore (see gradnet wallet); else GRADNET_COORDINATOR_PRIVATE_KEY on a dev chain')
    .option('--keystore-dir <dir>', 'keystore directory (GRADNET_KEYSTORE_DIR; default ~/.gradnet/keystores)')
    .option('--password-file <file>', 'keystore password file (GRADNET_PASSWORD_FILE; else GRADNET_PASSWORD, else a prompt)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (GRADNET_LOG_LEVEL; default info)')
    .action(action(async (flags: CoordinatorFlags) => (await import('../actions/coordinator.ts')).runCoordinator(flags)));
}
