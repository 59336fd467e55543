import {
  createNonceManager,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Account,
  type Chain,
  type Hex,
  type PublicClient,
  type Transport,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { getTransactionCount } from 'viem/actions';
import { LOCAL_CHAIN_IDS } from './constants.ts';
import { ChainIdMismatchError, ChainInputError, RpcUnreachableError } from './errors.ts';

/** A viem public client (reads, receipts, logs) and, when an account was given, a wallet client. */
export interface ChainClients {
  rpcUrl: string;
  chainId: number;
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, Account> | undefined;
  account: Account | undefined;
  /** How long a write waits for its receipt before failing with TransactionTimeoutError. */
  receiptTimeoutMs: number;
}

export interface ChainClientOptions {
  rpcUrl: string;
  /** A viem account, or a 32-byte private key (0x-prefixed hex) to sign with. */
  account?: Account | Hex;
  /** When given, the endpoint must serve this chain id. */
  chainId?: number;
  /** Receipt polling interval; defaults to 100 ms for local chains (31337/1337), 1 s otherwise. */
  pollingIntervalMs?: number;
  /** Per-request timeout; default 15 s. */
  timeoutMs?: number;
  /** How long a write waits for its receipt; default 60 s on local chains, 10 min otherwise. */
  receiptTimeoutMs?: number;
  /** Aborts the connection check. */
  signal?: AbortSignal;
}

/**
 * Connects to `rpcUrl` (asking it for its chain id, so a wrong URL fails here, naming the URL)
 * and builds the viem clients for it.
 */
export async function createChainClients(options: ChainClientOptions): Promise<ChainClients> {
  const { rpcUrl } = options;
  const timeout = options.timeoutMs ?? 15_000;
  const chainId = await fetchChainId(rpcUrl, { signal: options.signal, timeoutMs: timeout });
  if (options.chainId !== undefined && options.chainId !== chainId) throw new ChainIdMismatchError(rpcUrl, options.chainId, chainId);

  const chain = defineChain({
    id: chainId,
    name: LOCAL_CHAIN_IDS.has(chainId) ? 'gradnet devnet' : `chain ${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } },
  });
  const transport = http(rpcUrl, { timeout, retryCount: 2 });
  const pollingInterval = options.pollingIntervalMs ?? (LOCAL_CHAIN_IDS.has(chainId) ? 100 : 1_000);
  const publicClient = createPublicClient({ chain, transport, pollingInterval });
  const account = toAccount(options.account);
  const walletClient = account ? createWalletClient({ chain, transport, account, pollingInterval }) : undefined;
  const receiptTimeoutMs = options.receiptTimeoutMs ?? (LOCAL_CHAIN_IDS.has(chainId) ? 60_000 : 600_000);
  return { rpcUrl, chainId, chain, publicClient, walletClient, account, receiptTimeoutMs };
}

/** Asks `rpcUrl` for `eth_chainId`; any failure becomes an RpcUnreachableError naming the URL. */
export async function fetchChainId(rpcUrl: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<number> {
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    throw new ChainInputError('the RPC URL must be an absolute http(s) URL such as http://127.0.0.1:8545', rpcUrl);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ChainInputError('the RPC URL must use http or https', rpcUrl);
  }
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 15_000)];
  if (options.signal) signals.push(options.signal);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.any(signals),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    const body = (await response.json()) as { result?: unknown; error?: { message?: string } };
    if (typeof body.result !== 'string') throw new Error(`no chain id in the answer (${body.error?.message ?? 'not JSON-RPC'})`);
    return Number(BigInt(body.result));
  } catch (cause) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new RpcUnreachableError(rpcUrl, cause);
  }
}

function toAccount(account: Account | Hex | undefined): Account | undefined {
  if (account === undefined || typeof account !== 'string') return account;
  if (!/^0x[0-9a-fA-F]{64}$/.test(account)) {
    throw new ChainInputError('a private key must be 0x followed by 64 hex digits', `${account.slice(0, 6)}… (${account.length} characters)`);
  }
  // A nonce manager lets one client send several transactions without waiting for each. It is
  // per client, not viem's process-wide one: that one remembers the last nonce per address and
  // chain id, so after a devnet restart (same chain id 31337, same DEV-ONLY keys, fresh state)
  // it would skip ahead and leave every later transaction stuck behind a nonce gap.
  const nonceManager = createNonceManager({
    source: {
      get: ({ address, client }) => getTransactionCount(client, { address, blockTag: 'pending' }),
      set: () => undefined,
    },
  });
  return privateKeyToAccount(account, { nonceManager });
}
