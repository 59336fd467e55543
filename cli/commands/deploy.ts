import { Command } from 'commander';
import { deployGradnet } from '../../core/chain/index.ts';
import { parseAddress, parseHash, parseSeconds, parseTokens, reportFailure } from './chain-options.ts';

interface DeployFlags {
  rpcUrl?: string;
  deployerKeyEnv: string;
  coordinator?: `0x${string}`;
  treasury?: `0x${string}`;
  genesisHash?: `0x${string}`;
  minStake?: bigint;
  unbondingPeriod?: number;
  maxRewardBudget?: bigint;
  vaultFunding?: bigint;
  deployments?: string;
  fresh?: boolean;
}

/** `gradnet deploy`: deploys (or reuses) the contracts on any JSON-RPC endpoint. */
export function deployCommand(): Command {
  return new Command('deploy')
    .description('deploy gradnet through Ignition to a JSON-RPC endpoint (idempotent) and write deployments/<chainId>.json')
    .option('--rpc-url <url>', 'JSON-RPC endpoint (default $GRADNET_RPC_URL)')
    .option('--deployer-key-env <name>', 'environment variable holding the deployer private key', 'GRADNET_DEPLOYER_KEY')
    .option('--coordinator <address>', 'receives COORDINATOR_ROLE and SLASHER_ROLE (default the deployer)', parseAddress)
    .option('--treasury <address>', 'receives slashed stake (default the deployer)', parseAddress)
    .option('--genesis-hash <hash>', 'model hash of round 0', parseHash)
    .option('--min-stake <grad>', 'minimum stake in GRAD (default 100)', parseTokens)
    .option('--unbonding-period <seconds>', 'seconds between requestExit and withdraw (default 3600)', parseSeconds)
    .option('--max-reward-budget <grad>', 'largest reward budget of one round in GRAD (default 10000)', parseTokens)
    .option('--vault-funding <grad>', 'GRAD minted to the RewardVault up front (default 1000000)', parseTokens)
    .option('--deployments <file>', 'address book to reuse and write (default deployments/<chainId>.json)')
    .option('--fresh', 'deploy a new set even if the address book points at live contracts')
    .action(async (flags: DeployFlags) => {
      const rpcUrl = flags.rpcUrl ?? process.env.GRADNET_RPC_URL;
      const deployerKey = process.env[flags.deployerKeyEnv];
      try {
        if (!rpcUrl) throw new Error('no RPC URL: pass --rpc-url <url> or set GRADNET_RPC_URL');
        if (!deployerKey) throw new Error(`no deployer key: set the environment variable ${flags.deployerKeyEnv} to the deployer's 0x-prefixed private key`);
        const result = await deployGradnet({
          rpcUrl,
          deployerKey: deployerKey as `0x${string}`,
          coordinator: flags.coordinator,
          treasury: flags.treasury,
          genesisModelHash: flags.genesisHash,
          minStake: flags.minStake,
          unbondingPeriodSeconds: flags.unbondingPeriod,
          maxRewardBudget: flags.maxRewardBudget,
          vaultFunding: flags.vaultFunding,
          deploymentsFile: flags.deployments,
          fresh: flags.fresh,
          log: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(`${JSON.stringify(result.deployments, null, 2)}\n`);
      } catch (error) {
        reportFailure(error);
      }
    });
}
