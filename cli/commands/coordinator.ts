import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError } from 'commander';
import { checkCoordinatorSettings, createCoordinator, parseCoordinatorConfig, type CoordinatorConfigInput } from '../../coordinator/index.ts';
import { DEFAULT_KEYSTORE_DIR } from '../../core/config/index.ts';
import { fetchChainId } from '../../core/chain/index.ts';
import { createLogger, type Logger, type LogLevel } from '../../core/log/index.ts';
import { DEV_CHAIN_ID, loadKey } from '../../core/wallet/index.ts';
import { CoordinatorConfigError } from '../../coordinator/errors.ts';
import { action } from '../support/action.ts';

interface CoordinatorFlags {
  config?: string;
  rpcUrl?: string;
  deployments?: string;
  dataDir?: string;
  apiHost?: string;
  apiPort?: number;
  listen?: string[];
  bootstrap?: string[];
  quorum?: number;
  deadlineMs?: number;
  maxWaitMs?: number;
  maxRounds?: number;
  rule?: string;
  model?: string;
  modelSeed?: number;
  key?: string;
  keystoreDir: string;
  passwordFile?: string;
  logLevel: LogLevel;
}

const integer = (name: string) => (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number, got "${value}"`);
  return Number(value);
};
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * `gradnet coordinator`: runs the coordinator until SIGINT/SIGTERM (or --max-rounds). Settings:
 * a JSON file (--config, the shape of CoordinatorConfigInput), then flags on top. The wallet:
 * an encrypted keystore (--key), or on a dev chain GRADNET_COORDINATOR_PRIVATE_KEY.
 */
export function coordinatorCommand(): Command {
  return new Command('coordinator')
    .description('run the coordinator: collect updates, aggregate, score, reward and commit each round on chain')
    .option('--config <file>', 'JSON config file (see coordinator/config.ts for every field)')
    .option('--rpc-url <url>', 'JSON-RPC endpoint (default http://127.0.0.1:8545)')
    .option('--deployments <file>', 'address book (default deployments/<chainId>.json)')
    .option('--data-dir <dir>', 'database and checkpoints (default ~/.gradnet/coordinator)')
    .option('--api-host <host>', 'HTTP API host (default 127.0.0.1)')
    .option('--api-port <port>', 'HTTP API port, 0 for any (default 7070)', integer('--api-port'))
    .option('--listen <multiaddr>', 'libp2p listen address (repeatable)', collect)
    .option('--bootstrap <multiaddr>', 'peer to dial at start, ending in /p2p/<id> (repeatable)', collect)
    .option('--quorum <n>', 'fewest accepted updates a round needs', integer('--quorum'))
    .option('--deadline-ms <ms>', 'how long a round collects before it may close', integer('--deadline-ms'))
    .option('--max-wait-ms <ms>', 'longest a round waits for quorum', integer('--max-wait-ms'))
    .option('--max-rounds <n>', 'stop after committing this many rounds', integer('--max-rounds'))
    .option('--rule <rule>', 'aggregation rule: mean, median, trimmedMean, multiKrum, centeredClip (default: core/aggregate DEFAULT_RULE)')
    .option('--model <name>', 'model trained: mlp or cnn (default mlp); must match the genesis deployed')
    .option('--model-seed <n>', 'seed of the genesis parameters (default 1)', integer('--model-seed'))
    .option('--key <address|label>', 'the coordinator wallet: an owner keystore (see gradnet wallet); else GRADNET_COORDINATOR_PRIVATE_KEY on a dev chain')
    .option('--keystore-dir <dir>', 'keystore directory', DEFAULT_KEYSTORE_DIR)
    .option('--password-file <file>', 'keystore password file (else GRADNET_PASSWORD, else a prompt)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent', 'info')
    .action(
      action(async (flags: CoordinatorFlags) => {
        const logger = createLogger({ name: 'coordinator', level: flags.logLevel });
        const input = await configInput(flags);
        checkCoordinatorSettings(input);
        input.privateKey = await coordinatorKey(flags, input, logger);
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
      }),
    );
}

async function configInput(flags: CoordinatorFlags): Promise<CoordinatorConfigInput> {
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
  set(merged, 'rpcUrl', flags.rpcUrl);
  set(merged, 'deployments', flags.deployments);
  set(merged, 'dataDir', flags.dataDir);
  set(merged, 'listen', flags.listen);
  set(merged, 'bootstrap', flags.bootstrap);
  set(merged, 'maxRounds', flags.maxRounds);
  set(merged, 'model', flags.model === undefined ? undefined : { name: flags.model });
  set(merged, 'modelSeed', flags.modelSeed);
  return merged as CoordinatorConfigInput;
}

const DEV_KEY_VARIABLE = 'GRADNET_COORDINATOR_PRIVATE_KEY';

/** The wallet key: a keystore when --key is given; a raw key (environment or config file) on a dev chain only. */
async function coordinatorKey(flags: CoordinatorFlags, input: CoordinatorConfigInput, logger: Logger): Promise<string> {
  const chainId = await fetchChainId(input.rpcUrl ?? 'http://127.0.0.1:8545');
  if (flags.key !== undefined) {
    const loaded = await loadKey({
      role: 'owner',
      keystoreDir: flags.keystoreDir,
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
