import { Command, Option } from 'commander';
import type { DeployFlags } from '../actions/deploy.ts';
import { DATASET_NAMES } from '../../core/defaults/index.ts';
import { action } from '../support/action.ts';
import { withDeprecatedRpcUrl } from '../support/options.ts';
import { integer, parseAddress, parseHash, parseSeconds, parseTokens } from '../support/parse.ts';

/** `gradnet deploy`: deploys (or reuses) the contracts on any JSON-RPC endpoint. */
export function deployCommand(): Command {
  return withDeprecatedRpcUrl(new Command('deploy'))
    .description('deploy gradnet through Ignition to a JSON-RPC endpoint (idempotent) and write deployments/<chainId>.json')
    .option('--rpc <url>', 'JSON-RPC endpoint (GRADNET_RPC_URL)')
    .option('--deployer-key-env <name>', 'environment variable holding the deployer private key', 'GRADNET_DEPLOYER_KEY')
    .option('--coordinator <address>', 'receives COORDINATOR_ROLE (default the deployer)', parseAddress)
    .option('--slash-bounty-bps <bps>', 'share of a slashed stake paid to whoever proves the equivocation, in basis points (default 1000 = 10%)', integer({ max: 10_000, what: 'basis points from 0 to 10000' }))
    .addOption(new Option('--model <name>', 'model whose genesis round 0 holds: mlp or cnn (default mlp, what the coordinator trains by default)').choices(['mlp', 'cnn']))
    .option('--model-seed <n>', 'seed of the genesis parameters (default 1)', integer())
    .addOption(new Option('--dataset <name>', 'what the genesis model trains on (default mnist); the coordinator and daemons run with the same --dataset').choices(DATASET_NAMES))
    .option('--genesis-hash <hash>', 'model hash of round 0, instead of --model/--model-seed (see gradnet genesis)', parseHash)
    .option('--min-stake <grad>', 'minimum stake in GRAD (default 100)', parseTokens)
    .option('--unbonding-period <seconds>', 'seconds between requestExit and withdraw (default 3600)', parseSeconds)
    .option('--max-reward-budget <grad>', 'largest reward budget of one round in GRAD (default 10000)', parseTokens)
    .option('--vault-funding <grad>', 'GRAD minted to the RewardVault up front (default 1000000)', parseTokens)
    .option('--governor <address>', 'proposer and executor of the timelock that administers every contract (default the deployer)', parseAddress)
    .option('--timelock-delay <seconds>', 'seconds every admin action waits in the timelock (default 172800 = 2 days)', parseSeconds)
    .option('--challenge-window <seconds>', 'seconds a committed round stays challengeable before its rewards are claimable (default 3600)', parseSeconds)
    .option('--coordinator-bond <grad>', "GRAD minted and posted as the coordinator's bond (default 1000)", parseTokens)
    .option('--challenge-threshold-bps <bps>', 'share of the active stake whose verdicts void a round, in basis points (default 3334 = one third)', integer({ min: 1, max: 10_000, what: 'basis points from 1 to 10000' }))
    .option('--challenger-share-bps <bps>', 'share of a slashed bond paid to the challenger, in basis points (default 2000 = 20%)', integer({ max: 10_000, what: 'basis points from 0 to 10000' }))
    .option('--token-cap <grad>', 'the most GRAD that can ever exist (default 1000000000)', parseTokens)
    .option('--deployments <file>', 'address book to reuse and write (GRADNET_DEPLOYMENTS; default deployments/<chainId>.json)')
    .option('--fresh', 'deploy a new set even if the address book points at live contracts')
    .action(action(async (flags: DeployFlags) => (await import('../actions/deploy.ts')).deploy(flags)));
}
