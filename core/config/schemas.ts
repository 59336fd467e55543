import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CODEC_IDS, DATASET_NAMES, DEFAULT_CODEC, DEFAULT_DATASET } from '../defaults/index.ts';

/** gradnet's home for keystores, checkpoints and the daemon's state: `~/.gradnet`. */
export const GRADNET_HOME = join(homedir(), '.gradnet');
export const DEFAULT_KEYSTORE_DIR = join(GRADNET_HOME, 'keystores');
export const DEFAULT_RPC_URL = 'http://127.0.0.1:8545';

const url = z.string().url('must be a URL such as http://127.0.0.1:8545');
const multiaddr = z.string().regex(/^\/(ip4|ip6|dns|dns4|dns6)\//, 'must be a multiaddr such as /ip4/127.0.0.1/tcp/4101');
/** A listen address may also be `/p2p-circuit`: reachable through a relay's reservation (behind NAT). */
const listenAddress = z.string().regex(/^(\/(ip4|ip6|dns|dns4|dns6)\/|\/p2p-circuit$)/, 'must be a multiaddr such as /ip4/0.0.0.0/tcp/4001, or /p2p-circuit');
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** What every command that talks to a chain needs: where it is and where the contracts are. */
export const chainSettings = {
  rpcUrl: url.default(DEFAULT_RPC_URL),
  /** `deployments/<chainId>.json` for the RPC's chain id unless given. */
  deployments: z.string().min(1).optional(),
  logLevel: logLevel.default('info'),
  logFormat: z.enum(['json', 'pretty', 'auto']).default('auto'),
};

/** Commands that sign: where the keystores are and how their password is given. */
export const walletSettings = {
  keystoreDir: z.string().min(1).default(DEFAULT_KEYSTORE_DIR),
  passwordFile: z.string().min(1).optional(),
};

export const chainConfigSchema = z.object({ ...chainSettings, coordinatorUrl: url.optional() });
export type ChainConfig = z.infer<typeof chainConfigSchema>;

export const walletConfigSchema = z.object({ ...chainSettings, ...walletSettings, coordinatorUrl: url.optional() });
export type WalletConfig = z.infer<typeof walletConfigSchema>;

/** The peer daemon's settings. */
export const daemonConfigSchema = z.object({
  ...chainSettings,
  ...walletSettings,
  /** The node keystore to run with: its address or label; the only node keystore when unset. */
  node: z.string().min(1).optional(),
  dataDir: z.string().min(1).default(join(GRADNET_HOME, 'node')),
  listen: z.array(listenAddress).min(1).default(['/ip4/0.0.0.0/tcp/0']),
  /** Addresses others dial instead of the listen addresses (a public IP or DNS name forwarded to this host). */
  announce: z.array(multiaddr).default([]),
  bootstrap: z.array(z.string().regex(/^\/.+\/p2p\/\w+$/, 'must be a multiaddr ending in /p2p/<peer id>')).default([]),
  /** Find the deployment's peers on the local network by multicast DNS (a LAN with no bootstrap address). */
  mdns: z.boolean().default(false),
  /** Ask the router over UPnP to forward the listen ports, and announce its external address. */
  upnp: z.boolean().default(false),
  coordinatorUrl: url.optional(),
  /** Local Adam steps per round (DiLoCo's H). */
  innerSteps: z.number().int().positive().default(100),
  batchSize: z.number().int().positive().default(64),
  learningRate: z.number().positive().default(0.003),
  /** This peer's shard: index among `shardCount` (or derived from the node key when unset). */
  shardIndex: z.number().int().nonnegative().optional(),
  shardCount: z.number().int().positive().default(10),
  shardScheme: z.enum(['iid', 'dirichlet']).default('iid'),
  shardAlpha: z.number().positive().default(0.5),
  dataSeed: z.number().int().nonnegative().default(1),
  /** What this node trains and audits on: the network's (its model hash names it; a node on other data refuses to train). */
  dataset: z.enum(DATASET_NAMES).default(DEFAULT_DATASET),
  /** Where the dataset's files are: required for cifar10; MNIST and Fashion-MNIST come from their packages. */
  datasetDir: z.string().min(1).optional(),
  codec: z.enum(CODEC_IDS).default(DEFAULT_CODEC),
  /** Fraction of coordinates the sparse codecs (topk, topksign) keep (error feedback carries the rest to the next round). */
  /** Unset: the codec's own default (core/defaults defaultFractionOf). */
  topkFraction: z.number().gt(0).max(1).optional(),
  heartbeatSeconds: z.number().positive().default(10),
  /** How often the ledger is polled for committed rounds. */
  chainPollSeconds: z.number().positive().default(1),
  audit: z.boolean().default(true),
  backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
}).refine((config) => config.shardIndex === undefined || config.shardIndex < config.shardCount, {
  message: 'must be smaller than shardCount',
  path: ['shardIndex'],
});
export type DaemonConfig = z.infer<typeof daemonConfigSchema>;
