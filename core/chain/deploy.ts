import { encodeFunctionData, getAddress, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { gradnetTimelockBytecode } from './abi/GradnetTimelock.generated.ts';
import { gradTokenBytecode } from './abi/GradToken.generated.ts';
import { nodeRegistryBytecode } from './abi/NodeRegistry.generated.ts';
import { rewardVaultBytecode } from './abi/RewardVault.generated.ts';
import { roundChallengesBytecode } from './abi/RoundChallenges.generated.ts';
import { roundLedgerBytecode } from './abi/RoundLedger.generated.ts';
import {
  CONTRACT_ABIS,
  contractAt,
  coordinator,
  genesisModelHash,
  minStake,
  unbondingPeriod,
} from './actions/index.ts';
import { createChainClients, type ChainClients } from './clients.ts';
import { CONTRACT_NAMES, deploymentsFile, loadDeployments, writeDeployments, type ContractName, type DeployedContract, type Deployments } from './deployments.ts';
import { assertDeployed } from './connect.ts';
import { DEPLOY_DEFAULTS, LOCAL_CHAIN_IDS } from './constants.ts';
import { ChainError, ChainInputError, ContractMissingError } from './errors.ts';
import { defineGradnetModule, GRADNET_MODULE_ID } from './gradnet-module.ts';
import { TimelockClient } from './timelock.ts';

export interface DeployOptions {
  rpcUrl: string;
  /** Private key of the deployer: it wires the contracts, keeps MINTER_ROLE (capped) and hands every admin role to the timelock. */
  deployerKey: Hex;
  /** Receives COORDINATOR_ROLE (ledger); default the deployer. */
  coordinator?: Address;
  /** Proposer and executor of the timelock that administers every contract; default the deployer. */
  governor?: Address;
  /** Seconds an admin action waits in the timelock (default 2 days; the devnet uses 0). */
  timelockDelaySeconds?: number;
  /** Seconds each committed round stays challengeable (default 1 hour; the devnet uses 10). */
  challengeWindowSeconds?: number;
  /** Tokens minted and posted as the coordinator's bond at deployment (non-zero). */
  coordinatorBond?: bigint;
  /** Share of the total active stake whose verdicts void a round, in basis points (1..10000). */
  challengeThresholdBps?: number;
  /** Share of a slashed bond paid to the challenger, in basis points (0..10000). */
  challengerShareBps?: number;
  /** The token's supply cap (wei). */
  tokenCap?: bigint;
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
  RoundChallenges: roundChallengesBytecode,
  GradnetTimelock: gradnetTimelockBytecode,
};

/**
 * Deploys the gradnet contracts (token, registry, ledger, vault, challenges, timelock) through
 * Hardhat Ignition to any JSON-RPC endpoint and writes deployments/<chainId>.json atomically.
 * Idempotent: when the address book already points at contracts with code on this chain (and the
 * same genesis), it reuses them and only moves the coordinator role / updates minStake and the
 * unbonding period, through the timelock (the deployer must be its governor; each change waits its delay).
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
    governor: getAddress(options.governor ?? deployer),
    timelockDelay: options.timelockDelaySeconds ?? DEPLOY_DEFAULTS.timelockDelaySeconds,
    challengeWindow: options.challengeWindowSeconds ?? DEPLOY_DEFAULTS.challengeWindowSeconds,
    coordinatorBond: options.coordinatorBond ?? DEPLOY_DEFAULTS.coordinatorBond,
    challengeThresholdBps: options.challengeThresholdBps ?? DEPLOY_DEFAULTS.challengeThresholdBps,
    challengerShareBps: options.challengerShareBps ?? DEPLOY_DEFAULTS.challengerShareBps,
    tokenCap: options.tokenCap ?? DEPLOY_DEFAULTS.tokenCap,
  };
  const bps = (what: string, value: number, min: number): void => {
    if (!Number.isInteger(value) || value < min || value > 10_000) {
      throw new ChainInputError(`the ${what} must be a whole number of basis points from ${min} to 10000 (1000 = 10%)`, value);
    }
  };
  bps('slash bounty', settings.slashBountyBps, 0);
  bps('challenge threshold', settings.challengeThresholdBps, 1);
  bps("challenger's share", settings.challengerShareBps, 0);
  for (const [what, value] of [['challenge window', settings.challengeWindow], ['timelock delay', settings.timelockDelay]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) throw new ChainInputError(`the ${what} must be a whole number of seconds (>= 0)`, value);
  }
  if (settings.coordinatorBond <= 0n) throw new ChainInputError("the coordinator's bond must be more than 0 wei", settings.coordinatorBond);
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
  const deployments = await deployWithIgnition(clients, options, {
    coordinator: settings.coordinator,
    governor: settings.governor,
    genesisModelHash: settings.genesisModelHash,
    minStake: settings.minStake,
    unbondingPeriod: settings.unbondingPeriod,
    maxRewardBudget: settings.maxRewardBudget,
    vaultFunding: settings.vaultFunding,
    slashBountyBps: BigInt(settings.slashBountyBps),
    challengeWindow: BigInt(settings.challengeWindow),
    coordinatorBond: settings.coordinatorBond,
    challengeThresholdBps: BigInt(settings.challengeThresholdBps),
    challengerShareBps: BigInt(settings.challengerShareBps),
    timelockDelay: BigInt(settings.timelockDelay),
    tokenCap: settings.tokenCap,
  });
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

// Every change goes through the timelock, the contracts' only admin: each waits its delay.
async function reconcile(clients: ChainClients, deployments: Deployments, settings: Settings, options: DeployOptions, log: (line: string) => void): Promise<void> {
  const { signal } = options;
  const ledger = contractAt(clients, 'RoundLedger', deployments.contracts.RoundLedger.address);
  const registry = contractAt(clients, 'NodeRegistry', deployments.contracts.NodeRegistry.address);
  const timelock = new TimelockClient(clients, deployments.contracts.GradnetTimelock.address);
  if ((await coordinator(ledger, { signal })) !== settings.coordinator) {
    await timelock.run(ledger.address, encodeFunctionData({ abi: ledger.abi, functionName: 'setCoordinator', args: [settings.coordinator] }), { signal });
    log(`moved COORDINATOR_ROLE to ${settings.coordinator} (the previous coordinator lost it)`);
  }
  if (options.minStake !== undefined && (await minStake(registry, { signal })) !== settings.minStake) {
    await timelock.run(registry.address, encodeFunctionData({ abi: registry.abi, functionName: 'setMinStake', args: [settings.minStake] }), { signal });
    log(`set minStake to ${settings.minStake}`);
  }
  if (options.unbondingPeriodSeconds !== undefined && (await unbondingPeriod(registry, { signal })) !== settings.unbondingPeriod) {
    await timelock.run(registry.address, encodeFunctionData({ abi: registry.abi, functionName: 'setUnbondingPeriod', args: [settings.unbondingPeriod] }), { signal });
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
  const contracts = {} as Record<ContractName, DeployedContract>;
  for (const name of CONTRACT_NAMES) contracts[name] = await located(name);
  return { chainId: clients.chainId, contracts };
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
