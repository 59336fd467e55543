import { zeroAddress, type Address, type Hex, type LocalAccount } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { fetchChainId } from '../../core/chain/index.ts';
import { walletConfigSchema, type WalletConfig } from '../../core/config/index.ts';
import { GradnetError } from '../../core/errors.ts';
import { createLogger, type Logger } from '../../core/log/index.ts';
import { createKeystore, devKeyVariable, DEV_CHAIN_ID, findKeystore, loadKey, parsePrivateKey, resolvePassword, unlockKeystore } from '../../core/wallet/index.ts';
import { openChain } from '../support/chain.ts';
import { readSettings } from '../support/settings.ts';
import { formatTokens } from '../support/table.ts';

export interface RegisterFlags {
  stake: bigint;
  owner?: string;
  node?: string;
  newNode?: boolean;
  [flag: string]: unknown;
}

/** `gradnet register`: registers the node and prints its key. */
export async function register(flags: RegisterFlags): Promise<void> {
  const config = readSettings(walletConfigSchema, flags);
  const logger = createLogger({ name: 'register', level: config.logLevel, format: config.logFormat });
  const result = await registerNode({ config, stake: flags.stake, owner: flags.owner, node: flags.node, newNode: flags.newNode === true, logger });
  process.stdout.write(`${result.nodeKey}\n`);
}

export interface RegisterNodeInput {
  config: Pick<WalletConfig, 'rpcUrl' | 'deployments' | 'keystoreDir' | 'passwordFile'>;
  stake: bigint;
  owner?: string;
  node?: string;
  newNode?: boolean;
  logger: Logger;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export interface RegisterNodeResult {
  owner: Address;
  nodeKey: Address;
  alreadyRegistered: boolean;
  txHash?: Hex;
}

/** Checks stake, balance and the current registration, then approves and registers, reporting each step. */
export async function registerNode(input: RegisterNodeInput): Promise<RegisterNodeResult> {
  const { config, logger } = input;
  const env = input.env ?? process.env;
  const chainId = await fetchChainId(config.rpcUrl, { signal: input.signal });
  const owner = await loadKey({ role: 'owner', keystoreDir: config.keystoreDir, select: input.owner, passwordFile: config.passwordFile, chainId, env, logger, interactive: true });
  const node = await nodeAccount(input, chainId, env);
  const nodeKey = node.address;
  const chain = await openChain(config, { account: owner.privateKey, signal: input.signal });

  const current = await chain.registry.nodeOf(owner.address);
  if (current.nodeKey.toLowerCase() === nodeKey.toLowerCase() && current.active) {
    logger.info({ owner: owner.address, nodeKey, stake: current.stake.toString() }, `node ${nodeKey} is already registered to ${owner.address} with ${formatTokens(current.stake)} GRAD staked; nothing to do`);
    return { owner: owner.address, nodeKey, alreadyRegistered: true };
  }
  if (current.nodeKey !== zeroAddress) {
    throw new GradnetError('ALREADY_REGISTERED', `owner ${owner.address} already has node ${current.nodeKey} registered (${current.active ? 'active' : 'exiting'}); one owner runs one node: use another owner wallet, or exit that node first`);
  }
  const otherOwner = await chain.registry.ownerOf(nodeKey);
  if (otherOwner !== undefined) throw new GradnetError('NODE_KEY_TAKEN', `node key ${nodeKey} is already registered by owner ${otherOwner}; create a fresh node key with --new-node`);

  const minStake = await chain.registry.minStake();
  if (input.stake < minStake) throw new GradnetError('STAKE_TOO_LOW', `stake ${formatTokens(input.stake)} GRAD is below the registry's minimum of ${formatTokens(minStake)} GRAD; pass --stake ${formatTokens(minStake)} or more`);
  const [balance, gas] = await Promise.all([chain.token.balanceOf(owner.address), chain.clients.publicClient.getBalance({ address: owner.address })]);
  if (balance < input.stake) throw new GradnetError('INSUFFICIENT_BALANCE', `owner ${owner.address} holds ${formatTokens(balance)} GRAD but the stake is ${formatTokens(input.stake)} GRAD; get GRAD to this address first or lower --stake`);
  if (gas === 0n) throw new GradnetError('INSUFFICIENT_GAS', `owner ${owner.address} has no native currency on chain ${chainId} to pay for gas; fund the address first`);

  logger.info({ step: 1, of: 2, spender: chain.registryClient.address }, `[1/2] approving ${formatTokens(input.stake)} GRAD for the NodeRegistry`);
  await chain.token.ensureAllowance(chain.registryClient.address, input.stake, { signal: input.signal });
  logger.info({ step: 2, of: 2, nodeKey }, `[2/2] registering node ${nodeKey}`);
  const sent = await chain.registryClient.register(node, input.stake, { signal: input.signal });
  logger.info({ owner: owner.address, nodeKey, txHash: sent.hash, block: sent.blockNumber.toString() }, `registered node ${nodeKey} for owner ${owner.address} (tx ${sent.hash})`);
  return { owner: owner.address, nodeKey, alreadyRegistered: false, txHash: sent.hash };
}

/**
 * The node key, unlocked: it signs the owner address, without which the registry refuses to bind
 * it (so nobody can register a key they do not hold). Its keystore shares the password sources of
 * the owner's.
 */
async function nodeAccount(input: RegisterNodeInput, chainId: number, env: Record<string, string | undefined>): Promise<LocalAccount> {
  const { config } = input;
  if (input.newNode === true) {
    const password = await resolvePassword({ passwordFile: config.passwordFile, env, prompt: { message: 'Password for the new node key', confirm: true } });
    const entry = await createKeystore({ dir: config.keystoreDir, role: 'node', password });
    input.logger.info({ nodeKey: entry.address, file: entry.file }, `created node key ${entry.address}`);
    return privateKeyToAccount((await unlockKeystore(entry, password)).privateKey);
  }
  const raw = env[devKeyVariable('node')];
  if (raw !== undefined && raw !== '' && chainId === DEV_CHAIN_ID && input.node === undefined) return privateKeyToAccount(parsePrivateKey(raw));
  const entry = await findKeystore(config.keystoreDir, 'node', input.node);
  const password = await resolvePassword({ passwordFile: config.passwordFile, env, prompt: { message: `Password for node keystore ${entry.label} (${entry.address})` } });
  return privateKeyToAccount((await unlockKeystore(entry, password)).privateKey);
}
