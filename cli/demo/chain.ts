import type { Address, Hex } from 'viem';
import {
  connectGradnet,
  deployGradnet,
  deploymentsFile as defaultDeploymentsFile,
  DEVNET_DEPLOY_DEFAULTS,
  fetchChainId,
  type GradnetChain,
} from '../../core/chain/index.ts';
import { GradnetError } from '../../core/errors.ts';
import { DEV_CHAIN_ID } from '../../core/wallet/index.ts';

/**
 * The longest challenge window a reused deployment may have: the demo claims its rewards once
 * the last round is final, so it waits out the window (a production deployment's hour would hang it).
 */
export const DEMO_MAX_CHALLENGE_WINDOW_SECONDS = 60;

export interface DemoChainOptions {
  rpcUrl: string;
  /** Deploys when needed and becomes the coordinator: DEV-ONLY account 0. */
  deployer: { address: Address; privateKey: Hex };
  /** The genesis of the model the demo trains. */
  genesisHash: Hex;
  /** The address book to reuse or write; default deployments/<chainId>.json, what `gradnet rounds --rpc URL` reads. */
  deploymentsFile?: string;
  log: (line: string) => void;
  signal: AbortSignal;
}

export interface DemoChain {
  rpcUrl: string;
  deploymentsFile: string;
  /** True when the address book's contracts fitted the demo and were used as they are. */
  reused: boolean;
}

/**
 * The demo's contracts on a dev chain somebody else runs: those of the chain's address book when
 * they fit the demo (same genesis, the demo's coordinator, no round yet, a short challenge
 * window), else a fresh set with the devnet's short waits, written to that address book, so
 * that `gradnet rounds --rpc URL` afterwards shows the demo's rounds.
 */
export async function prepareDemoChain(options: DemoChainOptions): Promise<DemoChain> {
  const { rpcUrl, signal } = options;
  const chainId = await fetchChainId(rpcUrl, { signal });
  if (chainId !== DEV_CHAIN_ID) {
    throw new GradnetError('DEMO_NEEDS_DEVNET', `the demo uses Hardhat's public dev accounts, so it only runs on a dev chain (id ${DEV_CHAIN_ID}); ${rpcUrl} is chain ${chainId}. Drop --rpc to let the demo start its own devnet`);
  }
  const file = options.deploymentsFile ?? defaultDeploymentsFile(chainId);
  const unfit = await whyUnfit(options, file);
  if (unfit === undefined) {
    options.log(`reusing the contracts of ${file}`);
    return { rpcUrl, deploymentsFile: file, reused: true };
  }
  options.log(`deploying fresh contracts to ${rpcUrl} (${unfit}); writing ${file}`);
  await deployGradnet({
    rpcUrl,
    deployerKey: options.deployer.privateKey,
    genesisModelHash: options.genesisHash,
    challengeWindowSeconds: DEVNET_DEPLOY_DEFAULTS.challengeWindowSeconds,
    timelockDelaySeconds: DEVNET_DEPLOY_DEFAULTS.timelockDelaySeconds,
    deploymentsFile: file,
    fresh: true,
    signal,
    log: options.log,
  });
  return { rpcUrl, deploymentsFile: file, reused: false };
}

/** Why the contracts in `file` cannot host the demo, or undefined when they can. */
async function whyUnfit(options: DemoChainOptions, file: string): Promise<string | undefined> {
  let chain: GradnetChain;
  try {
    chain = await connectGradnet({ rpcUrl: options.rpcUrl, deploymentsFile: file, signal: options.signal });
  } catch (error) {
    if (options.signal.aborted) throw error;
    return `no live gradnet deployment in ${file}`;
  }
  const genesis = await chain.ledger.genesisModelHash();
  if (genesis.toLowerCase() !== options.genesisHash.toLowerCase()) return `its genesis ${genesis} is not the demo model's ${options.genesisHash}`;
  const coordinator = await chain.ledger.coordinator();
  if (coordinator.toLowerCase() !== options.deployer.address.toLowerCase()) return `its coordinator is ${coordinator}, not the demo's ${options.deployer.address}`;
  const rounds = await chain.ledger.roundCount();
  if (rounds > 0) return `it already has ${rounds} rounds, whose models the demo's coordinator does not hold`;
  const window = await chain.ledger.challengeWindow();
  if (window > DEMO_MAX_CHALLENGE_WINDOW_SECONDS) return `its challenge window of ${window} s is longer than the ${DEMO_MAX_CHALLENGE_WINDOW_SECONDS} s the demo waits before claiming`;
  return undefined;
}
