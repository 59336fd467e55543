import type { Address, Hex } from 'viem';
import { deployGradnet } from '../../core/chain/index.ts';
import { CliError } from '../support/errors.ts';

export interface DeployFlags {
  rpcUrl?: string;
  deployerKeyEnv: string;
  coordinator?: Address;
  slashBountyBps?: number;
  genesisHash?: Hex;
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
  const rpcUrl = flags.rpcUrl ?? process.env.GRADNET_RPC_URL;
  const deployerKey = process.env[flags.deployerKeyEnv];
  if (!rpcUrl) throw new CliError('NO_RPC_URL', 'no RPC URL: pass --rpc-url <url> or set GRADNET_RPC_URL');
  if (!deployerKey) throw new CliError('NO_DEPLOYER_KEY', `no deployer key: set the environment variable ${flags.deployerKeyEnv} to the deployer's 0x-prefixed private key`);
  const result = await deployGradnet({
    rpcUrl,
    deployerKey: deployerKey as Hex,
    coordinator: flags.coordinator,
    slashBountyBps: flags.slashBountyBps,
    genesisModelHash: flags.genesisHash,
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
    deploymentsFile: flags.deployments,
    fresh: flags.fresh,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify(result.deployments, null, 2)}\n`);
}
