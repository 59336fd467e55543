import { getAddress, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { gradTokenBytecode } from './abi/GradToken.generated.ts';
import { nodeRegistryBytecode } from './abi/NodeRegistry.generated.ts';
import { rewardVaultBytecode } from './abi/RewardVault.generated.ts';
import { roundLedgerBytecode } from './abi/RoundLedger.generated.ts';
import {
  CONTRACT_ABIS,
  contractAt,
  genesisModelHash,
  grantRole,
  hasRole,
  minStake,
  setMinStake,
  setUnbondingPeriod,
  unbondingPeriod,
} from './actions/index.ts';
import { createChainClients, type ChainClients } from './clients.ts';
import { CONTRACT_NAMES, deploymentsFile, loadDeployments, writeDeployments, type ContractName, type DeployedContract, type Deployments } from './deployments.ts';
import { assertDeployed } from './connect.ts';
import { DEPLOY_DEFAULTS, LOCAL_CHAIN_IDS, ROLES } from './constants.ts';
import { ChainError, ChainInputError, ContractMissingError } from './errors.ts';
import { defineGradnetModule, GRADNET_MODULE_ID } from './gradnet-module.ts';

export interface DeployOptions {
  rpcUrl: string;
  /** Private key of the deployer, who becomes admin and minter. */
  deployerKey: Hex;
  /** Receives COORDINATOR_ROLE (ledger); default the deployer. */
  coordinator?: Address;
  /** Share of a slashed stake paid to whoever proves the equivocation, in basis points (fixed at deployment). */
  slashBountyBps?: number;
  /** Model hash of round 0. */
  genesisModelHash?: Hex;
  minStake?: bigint;
  unbondingPeriodSeconds?: number;
  /** Largest reward budget one round may carry (fixed at deployment). */
  maxRewardBudget?: bigint;
  /** Tokens minted to the RewardVault up front (the reward pool). */
  vaultFunding?: bigint;
  /** Address book to reuse and write; default deployments/<chainId>.json. */
  deploymentsFile?: string;
  /** Deploy a new set even when the address book points at live contracts. */
  fresh?: boolean;
  signal?: AbortSignal;
  /** Progress lines (default: silent). */
  log?: (line: string) => void;
}

export interface DeployResult {
  deployments: Deployments;
  file: string;
  /** True when an existing deployment was reused (only roles/parameters were updated). */
  reused: boolean;
}

const BYTECODES: Record<ContractName, Hex> = {
  GradToken: gradTokenBytecode,
  NodeRegistry: nodeRegistryBytecode,
  RoundLedger: roundLedgerBytecode,
  RewardVault: rewardVaultBytecode,
};

/**
 * Deploys GradToken, NodeRegistry, RoundLedger and RewardVault through Hardhat Ignition to any
 * JSON-RPC endpoint and writes deployments/<chainId>.json atomically. Idempotent: when the
 * address book already points at contracts with code on this chain (and the same genesis), it
 * reuses them and only grants missing roles / updates minStake and the unbonding period.
 */
export async function deployGradnet(options: DeployOptions): Promise<DeployResult> {
  const log = options.log ?? ((): void => {});
  const clients = await createChainClients({ rpcUrl: options.rpcUrl, account: options.deployerKey, signal: options.signal });
  const deployer = clients.account!.address;
  const file = options.deploymentsFile ?? deploymentsFile(clients.chainId);
  const settings = {
    coordinator: getAddress(options.coordinator ?? deployer),
    genesisModelHash: options.genesisModelHash ?? DEPLOY_DEFAULTS.genesisModelHash,
    minStake: options.minStake ?? DEPLOY_DEFAULTS.minStake,
    unbondingPeriod: BigInt(options.unbondingPeriodSeconds ?? DEPLOY_DEFAULTS.unbondingPeriodSeconds),
    maxRewardBudget: options.maxRewardBudget ?? DEPLOY_DEFAULTS.maxRewardBudget,
    vaultFunding: options.vaultFunding ?? DEPLOY_DEFAULTS.vaultFunding,
    slashBountyBps: options.slashBountyBps ?? DEPLOY_DEFAULTS.slashBountyBps,
  };
  if (!Number.isInteger(settings.slashBountyBps) || settings.slashBountyBps < 0 || settings.slashBountyBps > 10_000) {
    throw new ChainInputError('the slash bounty must be a whole number of basis points from 0 to 10000 (1000 = 10%)', settings.slashBountyBps);
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(settings.genesisModelHash) || /^0x0{64}$/.test(settings.genesisModelHash)) {
    throw new ChainInputError('the genesis model hash must be a non-zero 32-byte hex string', settings.genesisModelHash);
  }

  if (!options.fresh) {
    const existing = await liveDeployments(clients, file);
    if (existing) {
      const genesis = await genesisModelHash(contractAt(clients, 'RoundLedger', existing.contracts.RoundLedger.address));
      if (options.genesisModelHash !== undefined && genesis.toLowerCase() !== settings.genesisModelHash.toLowerCase()) {
        throw new ChainError(
          'DEPLOYMENT_MISMATCH',
          `${file} points at a RoundLedger with genesis ${genesis} on ${options.rpcUrl}, but genesis ${settings.genesisModelHash} was asked for; deploy a new set with --fresh (fresh: true)`,
        );
      }
      log(`reusing the deployment in ${file}`);
      await reconcile(clients, existing, settings, options, log);
      return { deployments: existing, file, reused: true };
    }
  }

  log(`deploying through Ignition to ${options.rpcUrl} (chain ${clients.chainId}) from ${deployer}`);
  const deployments = await deployWithIgnition(clients, options, { ...settings, slashBountyBps: BigInt(settings.slashBountyBps) });
  await writeDeployments(deployments, file);
  log(`wrote ${file}`);
  return { deployments, file, reused: false };
}

/** The address book in `file` when it is valid and every contract has code on this chain; undefined otherwise. */
async function liveDeployments(clients: ChainClients, file: string): Promise<Deployments | undefined> {
  let deployments: Deployments;
  try {
    deployments = await loadDeployments(clients.chainId, file);
  } catch {
    return undefined;
  }
  try {
    await assertDeployed(clients, deployments);
  } catch (error) {
    if (error instanceof ContractMissingError) return undefined;
    throw error;
  }
  return deployments;
}

type Settings = {
  coordinator: Address;
  minStake: bigint;
  unbondingPeriod: bigint;
};

async function reconcile(clients: ChainClients, deployments: Deployments, settings: Settings, options: DeployOptions, log: (line: string) => void): Promise<void> {
  const { signal } = options;
  const ledger = contractAt(clients, 'RoundLedger', deployments.contracts.RoundLedger.address);
  const registry = contractAt(clients, 'NodeRegistry', deployments.contracts.NodeRegistry.address);
  const coordinatorRole = { role: ROLES.coordinator, account: settings.coordinator, signal };
  if (!(await hasRole(ledger, coordinatorRole))) {
    await grantRole(ledger, coordinatorRole);
    log(`granted COORDINATOR_ROLE to ${settings.coordinator}`);
  }
  if (options.minStake !== undefined && (await minStake(registry, { signal })) !== settings.minStake) {
    await setMinStake(registry, { newMinStake: settings.minStake, signal });
    log(`set minStake to ${settings.minStake}`);
  }
  if (options.unbondingPeriodSeconds !== undefined && (await unbondingPeriod(registry, { signal })) !== settings.unbondingPeriod) {
    await setUnbondingPeriod(registry, { newPeriod: settings.unbondingPeriod, signal });
    log(`set unbondingPeriod to ${settings.unbondingPeriod}s`);
  }
}

async function deployWithIgnition(
  clients: ChainClients,
  options: DeployOptions,
  parameters: Record<string, string | bigint>,
): Promise<Deployments> {
  // Loaded on demand: nodes and the coordinator import core/chain without ever deploying.
  const { buildModule, deploy, DeploymentResultType } = await import('@nomicfoundation/ignition-core');
  const confirmed = new Map<string, Hex>();
  const listener = new Proxy({} as Record<string, (event: { futureId?: string; hash?: string }) => Promise<void>>, {
    get: (_target, property) => async (event: { futureId?: string; hash?: string }): Promise<void> => {
      if (property === 'transactionConfirm' && event.futureId && event.hash) confirmed.set(event.futureId, event.hash as Hex);
    },
  });
  const provider = signingProvider(clients, options.deployerKey, options.signal);
  let result;
  try {
    result = await deploy({
      config: LOCAL_CHAIN_IDS.has(clients.chainId) ? { requiredConfirmations: 1, blockPollingInterval: 50 } : {},
      artifactResolver: {
        loadArtifact: async (contractName: string) => {
          const name = CONTRACT_NAMES.find((known) => known === contractName);
          if (!name) throw new ChainInputError('Ignition asked for an unknown contract', contractName);
          return {
            _format: 'hh-sol-artifact-1', contractName, sourceName: `contracts/${name}.sol`,
            abi: [...CONTRACT_ABIS[name]], bytecode: BYTECODES[name], deployedBytecode: '0x', linkReferences: {}, deployedLinkReferences: {},
          };
        },
        getBuildInfo: async () => undefined,
      },
      provider,
      executionEventListener: listener as never,
      ignitionModule: buildModule(GRADNET_MODULE_ID, defineGradnetModule),
      deploymentParameters: { [GRADNET_MODULE_ID]: parameters },
      accounts: [clients.account!.address],
      defaultSender: clients.account!.address,
    });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new ChainError('DEPLOY_FAILED', `the Ignition deployment to ${clients.rpcUrl} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (result.type !== DeploymentResultType.SUCCESSFUL_DEPLOYMENT) {
    throw new ChainError('DEPLOY_FAILED', `the Ignition deployment to ${clients.rpcUrl} failed (${result.type}): ${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  }
  const located = async (name: ContractName): Promise<DeployedContract> => {
    // Ignition names a contract future `<module id>#<contract name>`.
    const deployed = result.contracts[`${GRADNET_MODULE_ID}#${name}`];
    if (!deployed) throw new ChainError('DEPLOY_FAILED', `the Ignition result has no ${name} (got ${Object.keys(result.contracts).join(', ')})`);
    const hash = confirmed.get(deployed.id);
    const blockNumber = hash ? Number((await clients.publicClient.getTransactionReceipt({ hash })).blockNumber) : 0;
    return { address: getAddress(deployed.address), blockNumber };
  };
  return {
    chainId: clients.chainId,
    contracts: {
      GradToken: await located('GradToken'),
      NodeRegistry: await located('NodeRegistry'),
      RoundLedger: await located('RoundLedger'),
      RewardVault: await located('RewardVault'),
    },
  };
}

interface RpcTransaction {
  from?: string;
  to?: Address;
  data?: Hex;
  value?: Hex;
  gas?: Hex;
  nonce?: Hex;
  gasPrice?: Hex;
  maxFeePerGas?: Hex;
  maxPriorityFeePerGas?: Hex;
}

/**
 * The EIP-1193 provider Ignition talks to: JSON-RPC through viem, with `eth_sendTransaction`
 * signed locally by the deployer key (remote endpoints hold no unlocked accounts).
 */
function signingProvider(clients: ChainClients, deployerKey: Hex, signal: AbortSignal | undefined) {
  const account = privateKeyToAccount(deployerKey);
  const optionalBigInt = (value: Hex | undefined): bigint | undefined => (value === undefined ? undefined : BigInt(value));
  return {
    async request({ method, params }: { method: string; params?: unknown[] | object }): Promise<unknown> {
      signal?.throwIfAborted();
      if (method === 'eth_accounts' || method === 'eth_requestAccounts') return [account.address];
      if (method === 'eth_sendTransaction') {
        const [tx] = params as [RpcTransaction];
        const fees = tx.gasPrice !== undefined
          ? { gasPrice: BigInt(tx.gasPrice) }
          : { maxFeePerGas: optionalBigInt(tx.maxFeePerGas), maxPriorityFeePerGas: optionalBigInt(tx.maxPriorityFeePerGas) };
        return clients.publicClient.sendRawTransaction({
          serializedTransaction: await account.signTransaction(
            await clients.publicClient.prepareTransactionRequest({
              account,
              chain: clients.chain,
              to: tx.to,
              data: tx.data,
              value: optionalBigInt(tx.value),
              gas: optionalBigInt(tx.gas),
              nonce: tx.nonce === undefined ? undefined : Number(tx.nonce),
              ...fees,
            } as never) as never,
          ),
        });
      }
      return clients.publicClient.request({ method, params } as never);
    },
  };
}
