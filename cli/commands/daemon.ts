import { Command } from 'commander';
import { action } from '../support/action.ts';
import { withChainOptions, withWalletOptions } from '../support/options.ts';

/** `gradnet daemon`: the peer that trains, gossips its updates, and audits each committed round. */
export function daemonCommand(): Command {
  // Values stay strings here: the daemon's settings are parsed and checked once, by core/config's schema.
  return withWalletOptions(withChainOptions(new Command('daemon')))
    .description('run a gradnet peer: train each round on this node\'s shard, gossip signed updates, send heartbeats, audit committed rounds (Ctrl-C stops it)')
    .option('--node <select>', 'node keystore address or label (GRADNET_NODE; default: the only node keystore)')
    .option('--data-dir <dir>', 'checkpoints and state (GRADNET_DATA_DIR; default ~/.gradnet/node)')
    .option('--listen <multiaddrs>', 'comma-separated multiaddrs to listen on, TCP (/ip4/0.0.0.0/tcp/4001) or WebSockets (/ip4/0.0.0.0/tcp/4002/ws); add /p2p-circuit behind NAT to be reached through a relay (GRADNET_LISTEN; default /ip4/0.0.0.0/tcp/0)')
    .option('--announce <multiaddrs>', 'comma-separated multiaddrs others dial to reach this node, e.g. /ip4/<public ip>/tcp/4001 (GRADNET_ANNOUNCE; default: the listen addresses)')
    .option('--bootstrap <multiaddrs>', 'comma-separated multiaddrs ending in /p2p/<peer id>, e.g. the coordinator (GRADNET_BOOTSTRAP)')
    .option('--mdns', 'also find this deployment\'s peers on the local network by multicast DNS, for a LAN (GRADNET_MDNS=true; default off)')
    .option('--upnp', 'ask the home router over UPnP to forward the TCP listen port here and announce its external address (GRADNET_UPNP=true; default off)')
    .option('--inner-steps <n>', 'local optimizer steps per round (GRADNET_INNER_STEPS; default 100)')
    .option('--batch-size <n>', 'local batch size (GRADNET_BATCH_SIZE; default 64)')
    .option('--learning-rate <x>', 'local Adam learning rate when the round\'s base model asks for none; the coordinator\'s schedule, recorded in each checkpoint, wins (GRADNET_LEARNING_RATE; default 0.003)')
    .option('--shard-index <i>', 'this node\'s shard (GRADNET_SHARD_INDEX; default: derived from the node key)')
    .option('--shard-count <n>', 'number of shards the training set is cut into (GRADNET_SHARD_COUNT; default 10)')
    .option('--shard-scheme <scheme>', 'iid or dirichlet (GRADNET_SHARD_SCHEME; default iid)')
    .option('--dataset <name>', 'what this node trains and audits on: mnist, fashion-mnist or cifar10, the network\'s (GRADNET_DATASET; default mnist)')
    .option('--dataset-dir <dir>', 'folder of the dataset\'s files; required for cifar10 (its data_batch_N.bin, test_batch.bin) (GRADNET_DATASET_DIR)')
    .option('--codec <codec>', 'update compression: fp32, fp16, int8, topk (GRADNET_CODEC; default topk with error feedback)')
    .option('--topk-fraction <x>', 'fraction of coordinates a sparse codec sends (GRADNET_TOPK_FRACTION; default: topksign 0.014, topk 0.1)')
    .option('--heartbeat-seconds <s>', 'heartbeat interval (GRADNET_HEARTBEAT_SECONDS; default 10)')
    .option('--no-audit', 'do not recompute committed rounds')
    .option('--backend <name>', 'tfjs backend: auto, wasm, cpu, tensorflow (GRADNET_BACKEND)')
    .action(action(async (options: Record<string, unknown>) => (await import('../actions/daemon.ts')).runDaemon(options)));
}
