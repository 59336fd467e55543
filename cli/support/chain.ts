import type { Hex } from 'viem';
import { connectGradnet, type GradnetChain } from '../../core/chain/index.ts';
import type { ChainConfig } from '../../core/config/index.ts';

/** Connects to the configured chain and its gradnet contracts, optionally with a signing key. */
export function openChain(config: Pick<ChainConfig, 'rpcUrl' | 'deployments'>, options: { account?: Hex; signal?: AbortSignal } = {}): Promise<GradnetChain> {
  return connectGradnet({ rpcUrl: config.rpcUrl, deploymentsFile: config.deployments, account: options.account, signal: options.signal });
}
