import { join } from 'node:path';
import { homedir } from 'node:os';
import { z } from 'zod';
import type { Hex } from 'viem';
import { roundAggregationSchema } from '../core/audit/index.ts';
import { DATASET_NAMES, DEFAULT_DATASET, DEFAULT_MAX_UPDATE_NORM } from '../core/defaults/index.ts';
import { roundConfigSchema } from '../core/round/index.ts';
import { CoordinatorConfigError } from './errors.ts';

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits').transform((value) => value.toLowerCase() as Hex);
const multiaddr = z.string().regex(/^\/(ip4|ip6|dns|dns4|dns6)\//, 'must be a multiaddr such as /ip4/127.0.0.1/tcp/4100');
const wei = z
  .union([z.bigint(), z.string().regex(/^\d+$/, 'must be a whole number of wei'), z.number().int().nonnegative()])
  .transform((value) => BigInt(value));

/**
 * The coordinator's settings. Everything but `privateKey` has a default, so the smallest config
 * is `{ privateKey }` against a local devnet. Durations are milliseconds.
 */
export const coordinatorConfigSchema = z.object({
  /** JSON-RPC endpoint of the chain. */
  rpcUrl: z.string().url().default('http://127.0.0.1:8545'),
  /** Address book; `deployments/<chainId>.json` of the RPC's chain when unset. */
  deployments: z.string().min(1).optional(),
  /** The coordinator wallet: needs COORDINATOR_ROLE on the RoundLedger (slashing by proof needs no role). */
  privateKey: hex32,
  /** The libp2p identity (secp256k1, 32 bytes); the wallet key when unset. */
  p2pPrivateKey: hex32.optional(),
  /** Where the SQLite database (`coordinator.db`) and the checkpoints (`checkpoints/`) live. */
  dataDir: z.string().min(1).default(join(homedir(), '.gradnet', 'coordinator')),
  listen: z.array(multiaddr).min(1).default(['/ip4/127.0.0.1/tcp/0']),
  /** Addresses daemons dial instead of the listen addresses (a public IP or DNS name forwarded to this host). */
  announce: z.array(multiaddr).default([]),
  /** Find the deployment's daemons on the local network by multicast DNS (a LAN), as `gradnet daemon --mdns` does. */
  mdns: z.boolean().default(false),
  /** Multiaddrs ending in /p2p/<peer id> to dial at start. */
  bootstrap: z.array(z.string().regex(/^\/.+\/p2p\/\w+$/, 'must be a multiaddr ending in /p2p/<peer id>')).default([]),
  api: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      /** 0 picks a free port (see `coordinator.apiUrl`). */
      port: z.number().int().min(0).max(65535).default(7070),
    })
    .strict()
    .default({}),
  /** The model trained; must be the one whose genesis hash the ledger was deployed with. */
  model: z
    .object({
      name: z.enum(['mlp', 'cnn']),
      hidden: z.number().int().positive().optional(),
      filters: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
      kernelSize: z.number().int().positive().optional(),
    })
    .strict()
    .default({ name: 'mlp' }),
  /** Seed of the genesis parameters (as at deploy time). */
  modelSeed: z.number().int().nonnegative().default(1),
  /** What the model trains on (recorded in its spec, so in the genesis hash) and what rounds are evaluated and scored on. */
  dataset: z.enum(DATASET_NAMES).default(DEFAULT_DATASET),
  /** Where the dataset's files are: required for cifar10; MNIST and Fashion-MNIST come from their packages. */
  datasetDir: z.string().min(1).optional(),
  /** When rounds close and how failed commits are retried (core/round's settings). */
  round: roundConfigSchema.default({}),
  /** Aggregation rule and outer optimizer (core/audit's settings, recorded in every checkpoint). */
  aggregation: roundAggregationSchema.default({}),
  /**
   * The local training a round asks of each peer (the daemon's innerSteps and batchSize): an
   * update may claim at most innerSteps × batchSize samples, since aggregation weighs updates by
   * their samples and the ledger records their sum. Larger claims are refused on receipt.
   */
  training: z
    .object({
      innerSteps: z.number().int().positive().max(1_000_000).default(100),
      batchSize: z.number().int().positive().max(65_536).default(64),
    })
    .strict()
    .default({}),
  /** Bound on the L2 norm of an update's delta; larger updates are rejected by the validator. */
  maxUpdateNorm: z.number().positive().finite().default(DEFAULT_MAX_UPDATE_NORM),
  evaluation: z
    .object({
      /** Validation examples for the round's loss and accuracy. */
      validationLimit: z.number().int().positive().default(2000),
      /** Validation examples each update is scored on. */
      scoreBatch: z.number().int().positive().default(500),
    })
    .strict()
    .default({}),
  rewards: z
    .object({
      /** Tokens (wei) minted to the vault and shared per round; at most the ledger's maxRewardBudget. */
      budgetPerRound: wei.default(100n * 10n ** 18n),
      /** Largest share of a round's budget one node may earn. */
      capPerNode: z.number().gt(0).max(1).default(0.5),
    })
    .strict()
    .default({}),
  nodes: z
    .object({
      /** How often the registry is re-read. */
      pollMs: z.number().int().positive().default(5_000),
      /**
       * A node that missed this many committed rounds in a row is `failed`: shown so in /nodes and
       * no longer counted towards the quorum, until it contributes again. (The seed's coordinator
       * dropped a node after 5 missed heartbeats.)
       */
      failAfterMissedRounds: z.number().int().positive().default(5),
    })
    .strict()
    .default({}),
  refusals: z
    .object({
      /** Peers whose refused messages a round counts one by one; the rest are counted together. */
      maxPeersPerRound: z.number().int().positive().default(256),
    })
    .strict()
    .default({}),
  /** Stop after this many rounds committed by this process (demos and tests); run forever when unset. */
  maxRounds: z.number().int().positive().optional(),
}).strict();

export type CoordinatorConfigInput = z.input<typeof coordinatorConfigSchema>;
export type CoordinatorConfig = z.output<typeof coordinatorConfigSchema>;

/** The most samples one update may claim: the round's inner steps × batch size. */
export function maxSamplesPerUpdate(config: Pick<CoordinatorConfig, 'training'>): number {
  return config.training.innerSteps * config.training.batchSize;
}

/** Validates a config, naming the first bad setting with its value and path. */
export function parseCoordinatorConfig(input: unknown): CoordinatorConfig {
  return parseWith(coordinatorConfigSchema, input);
}

/** Validates every setting but the wallet key, for callers that load the key afterwards. */
export function checkCoordinatorSettings(input: unknown): Omit<CoordinatorConfig, 'privateKey'> {
  return parseWith(coordinatorConfigSchema.partial({ privateKey: true }), input);
}

function parseWith<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = issue.path.join('.');
  let value: unknown = input;
  for (const key of issue.path) value = (value as Record<string | number, unknown> | undefined)?.[key];
  const shown = path === 'privateKey' || path === 'p2pPrivateKey' ? '(hidden)' : JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  throw new CoordinatorConfigError(`invalid coordinator setting "${path}" = ${shown}: ${issue.message}; fix it in the coordinator config`, { path, value: path.endsWith('rivateKey') ? undefined : value });
}
