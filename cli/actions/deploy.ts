import type { Address, Hex } from 'viem';
import { deployGradnet } from '../../core/chain/index.ts';
import type { DatasetName, ModelName } from '../../core/ml/index.ts';
import { CliError } from '../support/errors.ts';
import { rpcFlag } from '../support/settings.ts';
import { chosenGenesis } from './genesis.ts';

export interface DeployFlags {
  rpc?: string;
  /** Deprecated spelling of `rpc`. */
  rpcUrl?: string;
  deployerKeyEnv: string;
  coordinator?: Address;
  slashBountyBps?: number;
  genesisHash?: Hex;
  model?: ModelName;
  modelSeed?: number;
  dataset?: DatasetName;
  minStake?: bigint;
  unbondingPeriod?: number;
  maxRewardBudget?: bigint;
  vaultFunding?: bigint;
  governor?: Address;
  timelockDelay?: number;
  challengeWindow?: number;
  coordinatorBond?: bigint;
  challengeThresholdBps?: number;
  challengerShareBps?: number;
  tokenCap?: bigint;
  deployments?: string;
  fresh?: boolean;
}

/** `gradnet deploy`: deploys (or reuses) the contracts and prints the address book. */
export async function deploy(flags: DeployFlags): Promise<void> {
  const rpcUrl = rpcFlag(flags) ?? (process.env.GRADNET_RPC_URL || undefined);
  const deployerKey = process.env[flags.deployerKeyEnv];
  if (!rpcUrl) throw new CliError('NO_RPC_URL', 'no RPC URL: pass --rpc <url> or set GRADNET_RPC_URL');
  if (!deployerKey) throw new CliError('NO_DEPLOYER_KEY', `no deployer key: set the environment variable ${flags.deployerKeyEnv} to the deployer's 0x-prefixed private key`);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const genesis = chosenGenesis(flags);
  log(`genesis model hash ${genesis.hash} (${genesis.from})`);
  const result = await deployGradnet({
    rpcUrl,
    deployerKey: deployerKey as Hex,
    coordinator: flags.coordinator,
    slashBountyBps: flags.slashBountyBps,
    genesisModelHash: genesis.hash,
    minStake: flags.minStake,
    unbondingPeriodSeconds: flags.unbondingPeriod,
    maxRewardBudget: flags.maxRewardBudget,
    vaultFunding: flags.vaultFunding,
    governor: flags.governor,
    timelockDelaySeconds: flags.timelockDelay,
    challengeWindowSeconds: flags.challengeWindow,
    coordinatorBond: flags.coordinatorBond,
    challengeThresholdBps: flags.challengeThresholdBps,
    challengerShareBps: flags.challengerShareBps,
    tokenCap: flags.tokenCap,
    deploymentsFile: flags.deployments ?? (process.env.GRADNET_DEPLOYMENTS || undefined),
    fresh: flags.fresh,
    log,
  });
  process.stdout.write(`${JSON.stringify(result.deployments, null, 2)}\n`);
}
