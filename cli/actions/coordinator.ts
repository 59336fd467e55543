import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { checkCoordinatorSettings, CoordinatorConfigError, createCoordinator, parseCoordinatorConfig, type CoordinatorConfigInput } from '../../coordinator/index.ts';
import { fetchChainId } from '../../core/chain/index.ts';
import { DEFAULT_KEYSTORE_DIR, loadConfig, walletConfigSchema } from '../../core/config/index.ts';
import { createLogger, type Logger, type LogLevel } from '../../core/log/index.ts';
import { DEV_CHAIN_ID, loadKey } from '../../core/wallet/index.ts';
import { rpcFlag } from '../support/settings.ts';

export interface CoordinatorFlags {
  config?: string;
  rpc?: string;
  /** Deprecated spelling of `rpc`. */
  rpcUrl?: string;
  deployments?: string;
  dataDir?: string;
  apiHost?: string;
  apiPort?: number;
  listen?: string[];
  bootstrap?: string[];
  announce?: string[];
  mdns?: boolean;
  quorum?: number;
  deadlineMs?: number;
  maxWaitMs?: number;
  maxRounds?: number;
  rule?: string;
  model?: string;
  modelSeed?: number;
  dataset?: string;
  datasetDir?: string;
  key?: string;
  keystoreDir?: string;
  passwordFile?: string;
  logLevel?: LogLevel;
}

/**
 * The settings every gradnet command shares (rpcUrl, deployments, keystoreDir, passwordFile,
 * logLevel, and the daemon's mdns) from the GRADNET_* environment and the flags, with core/config's names and checks.
 * No defaults here: what is unset is left to the config file, then to the coordinator's defaults.
 */
const sharedSettingsSchema = walletConfigSchema
  .pick({ rpcUrl: true, deployments: true, keystoreDir: true, passwordFile: true, logLevel: true })
  .extend({ mdns: z.boolean() })
  .partial();

function sharedSettings(flags: CoordinatorFlags): ReturnType<typeof sharedSettingsSchema.parse> {
  // GRADNET_CONFIG names the other commands' settings file; the coordinator's is --config.
  const { GRADNET_CONFIG: _daemonConfig, ...env } = process.env;
  return loadConfig(sharedSettingsSchema, {
    flags: { rpcUrl: rpcFlag(flags), deployments: flags.deployments, keystoreDir: flags.keystoreDir, passwordFile: flags.passwordFile, logLevel: flags.logLevel, mdns: flags.mdns },
    env,
    flagNames: { rpcUrl: 'rpc' },
  });
}

/** `gradnet coordinator`: runs the coordinator until SIGINT/SIGTERM (or --max-rounds). */
export async function runCoordinator(flags: CoordinatorFlags): Promise<void> {
  const shared = sharedSettings(flags);
  const logger = createLogger({ name: 'coordinator', level: shared.logLevel ?? 'info' });
  const input = await configInput(flags, shared);
  checkCoordinatorSettings(input);
  input.privateKey = await coordinatorKey({ ...flags, keystoreDir: shared.keystoreDir, passwordFile: shared.passwordFile }, input, logger);
  const config = parseCoordinatorConfig(input);
  const coordinator = createCoordinator(config, { logger });
  const stop = (): void => {
    logger.info('stopping (signal)');
    void coordinator.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await coordinator.start();
  logger.info({ api: coordinator.apiUrl, peerId: coordinator.peerId, addresses: coordinator.multiaddrs() }, 'coordinator running');
  try {
    await coordinator.done;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await coordinator.stop();
  }
}

async function configInput(flags: CoordinatorFlags, shared: { rpcUrl?: string; deployments?: string; mdns?: boolean }): Promise<CoordinatorConfigInput> {
  let input: Record<string, unknown> = {};
  if (flags.config !== undefined) {
    try {
      input = JSON.parse(await readFile(flags.config, 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new CoordinatorConfigError(`cannot read the config file ${flags.config}: ${(cause as Error).message}; give a readable JSON file`, flags.config);
    }
  }
  const section = (name: string): Record<string, unknown> => ({ ...((input[name] as Record<string, unknown> | undefined) ?? {}) });
  const set = <T>(target: Record<string, unknown>, key: string, value: T | undefined): void => {
    if (value !== undefined) target[key] = value;
  };
  const api = section('api');
  set(api, 'host', flags.apiHost);
  set(api, 'port', flags.apiPort);
  const round = section('round');
  set(round, 'quorum', flags.quorum);
  set(round, 'deadlineMs', flags.deadlineMs);
  set(round, 'maxWaitMs', flags.maxWaitMs);
  const aggregation = section('aggregation');
  set(aggregation, 'rule', flags.rule);
  const merged: Record<string, unknown> = { ...input, api, round, aggregation };
  set(merged, 'rpcUrl', shared.rpcUrl);
  set(merged, 'deployments', shared.deployments);
  set(merged, 'dataDir', flags.dataDir);
  set(merged, 'listen', flags.listen);
  set(merged, 'announce', flags.announce);
  set(merged, 'bootstrap', flags.bootstrap);
  set(merged, 'mdns', shared.mdns);
  set(merged, 'maxRounds', flags.maxRounds);
  set(merged, 'model', flags.model === undefined ? undefined : { name: flags.model });
  set(merged, 'modelSeed', flags.modelSeed);
  // The dataset's GRADNET_* variables are the daemon's too; a flag wins over them, they win over the file.
  set(merged, 'dataset', flags.dataset ?? (process.env.GRADNET_DATASET || undefined));
  set(merged, 'datasetDir', flags.datasetDir ?? (process.env.GRADNET_DATASET_DIR || undefined));
  return merged as CoordinatorConfigInput;
}

const DEV_KEY_VARIABLE = 'GRADNET_COORDINATOR_PRIVATE_KEY';

/** The wallet key: a keystore when --key is given; a raw key (environment or config file) on a dev chain only. */
async function coordinatorKey(flags: CoordinatorFlags, input: CoordinatorConfigInput, logger: Logger): Promise<string> {
  const chainId = await fetchChainId(input.rpcUrl ?? 'http://127.0.0.1:8545');
  if (flags.key !== undefined) {
    const loaded = await loadKey({
      role: 'owner',
      keystoreDir: flags.keystoreDir ?? DEFAULT_KEYSTORE_DIR,
      select: flags.key,
      passwordFile: flags.passwordFile,
      chainId,
      // The keystore was asked for: a raw owner key in the environment must not override it.
      env: { ...process.env, GRADNET_OWNER_PRIVATE_KEY: undefined },
      logger,
      interactive: process.stdin.isTTY === true,
    });
    return loaded.privateKey;
  }
  const raw = process.env[DEV_KEY_VARIABLE] || input.privateKey;
  if (raw === undefined) {
    throw new CoordinatorConfigError(`no coordinator wallet: pass --key <keystore address or label>, or on a dev chain set ${DEV_KEY_VARIABLE}`, undefined);
  }
  if (chainId !== DEV_CHAIN_ID) {
    throw new CoordinatorConfigError(`a raw private key is only accepted on a dev chain (id ${DEV_CHAIN_ID}), this is chain ${chainId}; use --key with an encrypted keystore`, chainId);
  }
  return raw;
}
