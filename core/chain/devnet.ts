import { parseEther } from 'viem';
import { createChainClients } from './clients.ts';
import { DEVNET_DEPLOY_DEFAULTS } from './constants.ts';
import { deployGradnet, type DeployOptions } from './deploy.ts';
import type { Deployments } from './deployments.ts';
import { DEV_ONLY_MNEMONIC, devOnlyAccounts, type DevOnlyAccount } from './dev-accounts.ts';
import { DevnetError } from './errors.ts';
import { startRpcFront } from './rpc-front.ts';
import { TokenClient } from './token.ts';

export const DEVNET_CHAIN_ID = 31337;
export const DEVNET_HOST = '127.0.0.1';

export interface DevnetOptions {
  /** Address the JSON-RPC front listens on (default 127.0.0.1; 0.0.0.0 for every interface, so other hosts reach it). */
  host?: string;
  /** Port on `host`; default 8545; 0 picks a free one. */
  port?: number;
  /** DEV-ONLY accounts to unlock and fund (default 10, at least 1; account 0 deploys). */
  accounts?: number;
  /**
   * Also mine a block every this many milliseconds, besides one per transaction (default: only per
   * transaction). Block time is what `isFinal` and every view read: with an interval it follows the
   * wall clock while nobody sends, so a round's challenge window ends on an idle devnet too.
   * `gradnet devnet` mines every second; tests that hold transactions in the mempool leave it off.
   */
  blockIntervalMs?: number;
  /** GradToken minted to each account (default 10,000 GRAD). */
  fundAmount?: bigint;
  /**
   * Deployment settings (coordinator, genesisModelHash, minStake, …); the deployer is account 0. The
   * devnet's defaults differ from a real deployment's: a 10 s challenge window and no timelock delay.
   */
  deploy?: Omit<DeployOptions, 'rpcUrl' | 'deployerKey' | 'fresh' | 'signal' | 'log'>;
  /** Stops the devnet when aborted. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface Devnet {
  /** The JSON-RPC URL on this machine (127.0.0.1 when the devnet listens on every interface). */
  rpcUrl: string;
  /** Address and port the JSON-RPC front listens on. */
  listening: { host: string; port: number };
  chainId: number;
  deployments: Deployments;
  deploymentsFile: string;
  /** DEV-ONLY accounts (public keys of the Hardhat test mnemonic), funded with GradToken. */
  accounts: DevOnlyAccount[];
  /** Stops the JSON-RPC server; idempotent. */
  stop(): Promise<void>;
  /** Settles once the server has stopped. */
  closed: Promise<void>;
}

/**
 * Starts a Hardhat (EDR) chain, served over HTTP JSON-RPC on `host:port` through a front that
 * normalises what EDR refuses (core/chain/rpc-front.ts), deploys gradnet through Ignition with
 * DEV-ONLY account 0, funds the DEV-ONLY accounts with GradToken and writes
 * deployments/31337.json. A busy port fails with DevnetError naming it.
 */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const host = options.host ?? DEVNET_HOST;
  const port = options.port ?? 8545;
  const accountCount = options.accounts ?? 10;
  const log = options.log ?? ((): void => {});
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new DevnetError(port, `--port must be an integer in [0, 65535] (got ${port})`);
  if (!Number.isInteger(accountCount) || accountCount < 1 || accountCount > 1_000) {
    throw new DevnetError(port, `--accounts must be an integer in [1, 1000] (got ${accountCount})`);
  }
  if (options.blockIntervalMs !== undefined && (!Number.isInteger(options.blockIntervalMs) || options.blockIntervalMs < 1)) {
    throw new DevnetError(port, `the block interval must be a positive whole number of milliseconds (got ${options.blockIntervalMs})`);
  }
  options.signal?.throwIfAborted();

  const { createHardhatRuntimeEnvironment } = await import('hardhat/hre');
  const hre = await createHardhatRuntimeEnvironment({
    networks: {
      devnet: {
        type: 'edr-simulated',
        chainType: 'l1',
        chainId: DEVNET_CHAIN_ID,
        accounts: { mnemonic: DEV_ONLY_MNEMONIC, count: accountCount },
        mining: options.blockIntervalMs === undefined ? { auto: true } : { auto: true, interval: options.blockIntervalMs },
      },
    },
  });
  // Hardhat's own server stays private on a free loopback port; the front is what clients reach.
  const server = await hre.network.createServer('devnet', DEVNET_HOST, 0);
  const inner = await server.listen();
  let front;
  try {
    front = await startRpcFront({ host, port, upstream: `http://${DEVNET_HOST}:${inner.port}` });
  } catch (error) {
    await server.close();
    throw error;
  }
  const listening = { host, port: front.port };
  const rpcUrl = `http://${localHost(host)}:${front.port}`;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= front.close().then(() => server.close()));
  const onAbort = (): void => void stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const accounts = devOnlyAccounts(accountCount);
    log(`devnet JSON-RPC at ${rpcUrl} (chain ${DEVNET_CHAIN_ID})`);
    const { deployments, file } = await deployGradnet({
      ...options.deploy,
      // `??`, not a spread: a caller's explicit undefined keeps the devnet's default.
      challengeWindowSeconds: options.deploy?.challengeWindowSeconds ?? DEVNET_DEPLOY_DEFAULTS.challengeWindowSeconds,
      timelockDelaySeconds: options.deploy?.timelockDelaySeconds ?? DEVNET_DEPLOY_DEFAULTS.timelockDelaySeconds,
      rpcUrl,
      deployerKey: accounts[0].privateKey,
      fresh: true,
      signal: options.signal,
      log,
    });
    const fundAmount = options.fundAmount ?? parseEther('10000');
    if (fundAmount > 0n) {
      const clients = await createChainClients({ rpcUrl, account: accounts[0].privateKey, signal: options.signal });
      const token = new TokenClient(clients, deployments.contracts.GradToken.address);
      for (const account of accounts) await token.mint(account.address, fundAmount, { signal: options.signal });
      log(`funded ${accounts.length} DEV-ONLY accounts with ${fundAmount} wei of GRAD each`);
    }
    return { rpcUrl, listening, chainId: DEVNET_CHAIN_ID, deployments, deploymentsFile: file, accounts, stop, closed: server.afterClosed() };
  } catch (error) {
    options.signal?.removeEventListener('abort', onAbort);
    await stop();
    throw error;
  }
}

/** How this machine reaches a server listening on `host`: a wildcard address is reached on loopback. */
function localHost(host: string): string {
  if (host === '0.0.0.0') return DEVNET_HOST;
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
