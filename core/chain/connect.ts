import type { Account, Hex } from 'viem';
import { ChallengesClient } from './challenges.ts';
import { createChainClients, type ChainClients } from './clients.ts';
import { CONTRACT_NAMES, loadDeployments, type Deployments } from './deployments.ts';
import { ChainError, ContractMissingError } from './errors.ts';
import { LedgerClient } from './ledger.ts';
import { RegistryClient, RegistryReader } from './registry.ts';
import { TimelockClient } from './timelock.ts';
import { TokenClient } from './token.ts';
import { VaultClient } from './vault.ts';

/** Every gradnet contract wrapper on one chain, ready to use. */
export interface GradnetChain {
  clients: ChainClients;
  deployments: Deployments;
  token: TokenClient;
  registry: RegistryReader;
  registryClient: RegistryClient;
  ledger: LedgerClient;
  vault: VaultClient;
  challenges: ChallengesClient;
  timelock: TimelockClient;
}

export interface ConnectOptions {
  rpcUrl: string;
  account?: Account | Hex;
  /** The address book; default deployments/<chainId of rpcUrl>.json (or `deploymentsFile`). */
  deployments?: Deployments;
  deploymentsFile?: string;
  /** TTL of the RegistryReader cache (default 5 s). */
  registryTtlMs?: number;
  signal?: AbortSignal;
}

/**
 * Connects to `rpcUrl`, loads the address book of its chain, checks that the contracts exist
 * there (ContractMissingError otherwise) and builds every wrapper.
 */
export async function connectGradnet(options: ConnectOptions): Promise<GradnetChain> {
  const clients = await createChainClients({ rpcUrl: options.rpcUrl, account: options.account, signal: options.signal });
  const deployments = options.deployments ?? (await loadDeployments(clients.chainId, options.deploymentsFile));
  await assertDeployed(clients, deployments);
  const address = (name: keyof Deployments['contracts']): Deployments['contracts'][typeof name]['address'] => deployments.contracts[name].address;
  return {
    clients,
    deployments,
    token: new TokenClient(clients, address('GradToken')),
    registry: new RegistryReader(clients, address('NodeRegistry'), { ttlMs: options.registryTtlMs }),
    registryClient: new RegistryClient(clients, { registry: address('NodeRegistry'), token: address('GradToken') }),
    ledger: new LedgerClient(clients, address('RoundLedger'), { fromBlock: deployments.contracts.RoundLedger.blockNumber }),
    vault: new VaultClient(clients, address('RewardVault')),
    challenges: new ChallengesClient(clients, { challenges: address('RoundChallenges'), token: address('GradToken') }),
    timelock: new TimelockClient(clients, address('GradnetTimelock')),
  };
}

/** Throws ContractMissingError when a contract of the address book has no code on the chain. */
export async function assertDeployed(clients: ChainClients, deployments: Deployments): Promise<void> {
  for (const name of CONTRACT_NAMES) {
    const { address } = deployments.contracts[name];
    const code = await clients.publicClient.getCode({ address }).catch((error: unknown) => {
      throw new ChainError('RPC_FAILED', `eth_getCode failed on ${clients.rpcUrl}`, { cause: error });
    });
    if (!code || code === '0x') throw new ContractMissingError(clients.rpcUrl, name, address);
  }
}

