import { zeroAddress, type Address, type Hex } from 'viem';
import { fetchChainId, type GradnetChain, type RegisteredNode } from '../../core/chain/index.ts';
import { walletConfigSchema, type WalletConfig } from '../../core/config/index.ts';
import { GradnetError } from '../../core/errors.ts';
import { createLogger, type Logger } from '../../core/log/index.ts';
import { loadKey } from '../../core/wallet/index.ts';
import { openChain } from '../support/chain.ts';
import { readSettings } from '../support/settings.ts';
import { formatTokens } from '../support/table.ts';

export interface StakeFlags {
  owner?: string;
  [flag: string]: unknown;
}

/** What an owner's stake command did: the transaction and the node's standing after it. */
export interface StakeResult {
  owner: Address;
  nodeKey: Address;
  txHash: Hex;
  /** The stake left in the registry afterwards (0 after a withdrawal). */
  stake: bigint;
  /** Unix seconds from which `withdraw` works (exit); 0 otherwise. */
  unbondingEndsAt: number;
  /** Tokens paid back to the owner (withdraw). */
  withdrawn: bigint;
}

interface StakeContext {
  config: Pick<WalletConfig, 'rpcUrl' | 'deployments' | 'keystoreDir' | 'passwordFile'>;
  owner?: string;
  logger: Logger;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** The owner's stake could not be changed as asked; the message says why and what to run instead. */
export class StakeError extends GradnetError {}

/** `gradnet stake add AMOUNT`: adds stake to the owner's registered node (approve, then increaseStake). */
export async function addStake(context: StakeContext, amount: bigint): Promise<StakeResult> {
  const { chain, owner, node } = await ownerNode(context);
  if (node.unbondingEndsAt !== 0) {
    throw new StakeError('NODE_EXITING', `node ${node.nodeKey} of ${owner} is exiting (unbonding ${await timeLeft(chain, node.unbondingEndsAt)}); an exiting node takes no stake: wait, run \`gradnet stake withdraw\`, then register again with \`gradnet register\``);
  }
  if (amount <= 0n) throw new StakeError('ZERO_AMOUNT', 'the amount to add must be more than 0 GRAD');
  const balance = await chain.token.balanceOf(owner);
  if (balance < amount) throw new StakeError('INSUFFICIENT_BALANCE', `owner ${owner} holds ${formatTokens(balance)} GRAD but ${formatTokens(amount)} GRAD was asked for; get GRAD to this address first or add less`);
  context.logger.info({ owner, nodeKey: node.nodeKey, amount: amount.toString() }, `adding ${formatTokens(amount)} GRAD to the stake of node ${node.nodeKey} (approve, then increaseStake)`);
  const sent = await chain.registryClient.increaseStake(amount, { signal: context.signal });
  const after = await fresh(chain, owner);
  const minStake = await chain.registry.minStake();
  context.logger.info({ stake: after.stake.toString(), active: after.active, txHash: sent.hash },
    `node ${node.nodeKey} now has ${formatTokens(after.stake)} GRAD staked${after.active ? ' and is active' : `, below the minimum of ${formatTokens(minStake)} GRAD: add ${formatTokens(minStake - after.stake)} more to make it active`}`);
  return { owner, nodeKey: node.nodeKey, txHash: sent.hash, stake: after.stake, unbondingEndsAt: 0, withdrawn: 0n };
}

/** `gradnet stake exit`: starts the unbonding period; the node stops counting as active at once. */
export async function exitStake(context: StakeContext): Promise<StakeResult> {
  const { chain, owner, node } = await ownerNode(context);
  if (node.unbondingEndsAt !== 0) {
    throw new StakeError('ALREADY_EXITING', `node ${node.nodeKey} of ${owner} is already exiting: its stake can be withdrawn ${await timeLeft(chain, node.unbondingEndsAt)} with \`gradnet stake withdraw\``);
  }
  const sent = await chain.registryClient.requestExit({ signal: context.signal });
  const after = await fresh(chain, owner);
  context.logger.info({ owner, nodeKey: node.nodeKey, unbondingEndsAt: after.unbondingEndsAt, txHash: sent.hash },
    `node ${node.nodeKey} is exiting: it no longer counts as active; withdraw its ${formatTokens(after.stake)} GRAD ${await timeLeft(chain, after.unbondingEndsAt)} with \`gradnet stake withdraw\``);
  return { owner, nodeKey: node.nodeKey, txHash: sent.hash, stake: after.stake, unbondingEndsAt: after.unbondingEndsAt, withdrawn: 0n };
}

/** `gradnet stake withdraw`: pays the stake back once the unbonding period is over, and frees the owner to register again. */
export async function withdrawStake(context: StakeContext): Promise<StakeResult> {
  const { chain, owner, node } = await ownerNode(context);
  if (node.unbondingEndsAt === 0) {
    throw new StakeError('EXIT_NOT_REQUESTED', `node ${node.nodeKey} of ${owner} has not asked to exit, so nothing can be withdrawn yet: run \`gradnet stake exit\` first, then withdraw after the unbonding period (${await chain.registry.unbondingPeriod()} s)`);
  }
  const now = await chainTime(chain);
  if (now < node.unbondingEndsAt) {
    throw new StakeError('STILL_UNBONDING', `node ${node.nodeKey} of ${owner} is still unbonding: its ${formatTokens(node.stake)} GRAD can be withdrawn ${describeWait(node.unbondingEndsAt - now, node.unbondingEndsAt)}; run \`gradnet stake withdraw\` again then`);
  }
  const before = await chain.token.balanceOf(owner);
  const sent = await chain.registryClient.withdraw({ signal: context.signal });
  const withdrawn = (await chain.token.balanceOf(owner)) - before;
  context.logger.info({ owner, nodeKey: node.nodeKey, withdrawn: withdrawn.toString(), txHash: sent.hash },
    node.stake === 0n
      ? `node ${node.nodeKey} is withdrawn; it had no stake left (slashed), so nothing was paid; the owner may register a new node`
      : `withdrew ${formatTokens(withdrawn)} GRAD to ${owner}; the owner may register a new node`);
  return { owner, nodeKey: node.nodeKey, txHash: sent.hash, stake: 0n, unbondingEndsAt: 0, withdrawn };
}

/** The command line's entry: settings from flags, GRADNET_* and the config file; prints the transaction hash. */
export async function runStake(operation: 'add' | 'exit' | 'withdraw', flags: StakeFlags, amount?: bigint): Promise<void> {
  const config = readSettings(walletConfigSchema, flags);
  const logger = createLogger({ name: 'stake', level: config.logLevel, format: config.logFormat });
  const context: StakeContext = { config, owner: flags.owner, logger };
  const result = operation === 'add' ? await addStake(context, amount ?? 0n) : operation === 'exit' ? await exitStake(context) : await withdrawStake(context);
  process.stdout.write(`${result.txHash}\n`);
}

async function ownerNode(context: StakeContext): Promise<{ chain: GradnetChain; owner: Address; node: RegisteredNode }> {
  const { config } = context;
  const chainId = await fetchChainId(config.rpcUrl, { signal: context.signal });
  const key = await loadKey({ role: 'owner', keystoreDir: config.keystoreDir, select: context.owner, passwordFile: config.passwordFile, chainId, env: context.env ?? process.env, logger: context.logger, interactive: true });
  const chain = await openChain(config, { account: key.privateKey, signal: context.signal });
  const node = await fresh(chain, key.address);
  if (node.nodeKey === zeroAddress) {
    throw new StakeError('NOT_REGISTERED', `owner ${key.address} has no node registered (or has withdrawn it): nothing to add to, exit or withdraw; register one with \`gradnet register --stake <GRAD>\``);
  }
  return { chain, owner: key.address, node };
}

/** The registry's current answer, not a cached one: the command just changed it, or is about to. */
async function fresh(chain: GradnetChain, owner: Address): Promise<RegisteredNode> {
  chain.registry.invalidate();
  return chain.registry.nodeOf(owner);
}

/** The chain's clock (the latest block's timestamp), which the unbonding period is measured by. */
async function chainTime(chain: GradnetChain): Promise<number> {
  return Number((await chain.clients.publicClient.getBlock()).timestamp);
}

async function timeLeft(chain: GradnetChain, endsAt: number): Promise<string> {
  const now = await chainTime(chain);
  return now >= endsAt ? 'now' : describeWait(endsAt - now, endsAt);
}

/** "in 59m 58s (at 2026-11-29T10:59:58Z, chain time)". */
function describeWait(seconds: number, endsAt: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const parts = [hours > 0 ? `${hours}h` : '', hours > 0 || minutes > 0 ? `${minutes}m` : '', `${seconds % 60}s`].filter((part) => part !== '');
  return `in ${parts.join(' ')} (at ${new Date(endsAt * 1000).toISOString().replace('.000', '')}, chain time)`;
}
