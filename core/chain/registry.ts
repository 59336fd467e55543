import { zeroAddress, type Address, type Hex } from 'viem';
import {
  contractAt,
  increaseStake,
  isActive,
  listNodes,
  minStake,
  nodeOf,
  ownerOf,
  register,
  requestExit,
  rotateNodeKey,
  slash,
  unbondingPeriod,
  withdraw,
  type ActionOptions,
  type ContractAt,
  type NodeOfReturnType,
  type SentTransaction,
} from './actions/index.ts';
import type { ChainClients } from './clients.ts';
import { ChainInputError } from './errors.ts';
import { TokenClient } from './token.ts';

/** A registered node as the registry reports it. */
export interface RegisteredNode {
  owner: Address;
  /** Zero address once the owner has withdrawn. */
  nodeKey: Address;
  stake: bigint;
  /** Unix seconds from which `withdraw` works; 0 unless exiting. */
  unbondingEndsAt: number;
  active: boolean;
}

const PAGE_SIZE = 200n;

function toNode(owner: Address, info: NodeOfReturnType): RegisteredNode {
  return { owner, nodeKey: info.nodeKey, stake: info.stake, unbondingEndsAt: Number(info.unbondingEndsAt), active: info.active };
}

/**
 * Read side of NodeRegistry with a TTL cache, for the hot path of update validation
 * (`isActive` per received message). A lookup in flight is shared by concurrent callers.
 */
export class RegistryReader {
  readonly address: Address;
  readonly #registry: ContractAt<'NodeRegistry'>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { expiresAt: number; value: Promise<unknown> }>();

  constructor(clients: ChainClients, address: Address, options: { ttlMs?: number; now?: () => number } = {}) {
    this.address = address;
    this.#registry = contractAt(clients, 'NodeRegistry', address);
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `nodeKey` is the current key of a staked, non-exiting node. */
  isActive(nodeKey: Address): Promise<boolean> {
    return this.#cached(`active:${nodeKey.toLowerCase()}`, () => isActive(this.#registry, { nodeKey }));
  }

  /** The owner bound to `nodeKey`, or undefined if the key was never registered. */
  ownerOf(nodeKey: Address): Promise<Address | undefined> {
    return this.#cached(`owner:${nodeKey.toLowerCase()}`, async () => {
      const owner = await ownerOf(this.#registry, { nodeKey });
      return owner === zeroAddress ? undefined : owner;
    });
  }

  /** The node of `owner` (nodeKey is the zero address when it has none). */
  nodeOf(owner: Address): Promise<RegisteredNode> {
    return this.#cached(`node:${owner.toLowerCase()}`, async () => toNode(owner, await nodeOf(this.#registry, { owner })));
  }

  /** Every owner that ever registered, in registration order, with its current node. */
  listNodes(): Promise<RegisteredNode[]> {
    return this.#cached('list', async () => {
      const nodes: RegisteredNode[] = [];
      for (let offset = 0n; ; offset += PAGE_SIZE) {
        const [owners, infos] = await listNodes(this.#registry, { offset, limit: PAGE_SIZE });
        owners.forEach((owner, i) => nodes.push(toNode(owner, infos[i])));
        if (BigInt(owners.length) < PAGE_SIZE) return nodes;
      }
    });
  }

  minStake(): Promise<bigint> {
    return this.#cached('minStake', () => minStake(this.#registry));
  }

  unbondingPeriod(): Promise<number> {
    return this.#cached('unbondingPeriod', async () => Number(await unbondingPeriod(this.#registry)));
  }

  /** Forgets every cached answer (call after a write that changes the registry). */
  invalidate(): void {
    this.#cache.clear();
  }

  #cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = this.#now();
    const hit = this.#cache.get(key);
    if (hit && hit.expiresAt > now) return hit.value as Promise<T>;
    const value = load();
    this.#cache.set(key, { expiresAt: now + this.#ttlMs, value });
    // A failed lookup is not cached: the next caller retries.
    value.catch(() => {
      if (this.#cache.get(key)?.value === value) this.#cache.delete(key);
    });
    return value;
  }
}

/** Write side of NodeRegistry for an owner wallet (and for the slasher). */
export class RegistryClient {
  readonly address: Address;
  readonly #registry: ContractAt<'NodeRegistry'>;
  readonly #token: TokenClient;

  constructor(clients: ChainClients, addresses: { registry: Address; token: Address }) {
    this.address = addresses.registry;
    this.#registry = contractAt(clients, 'NodeRegistry', addresses.registry);
    this.#token = new TokenClient(clients, addresses.token);
  }

  /** Registers `nodeKey` for the client's account with `stake`, approving the registry first when needed. */
  async register(nodeKey: Address, stake: bigint, options: ActionOptions = {}): Promise<SentTransaction> {
    if (nodeKey === zeroAddress) throw new ChainInputError('the node key must not be the zero address', nodeKey);
    await this.#token.ensureAllowance(this.address, stake, options);
    return register(this.#registry, { nodeKey, stake, signal: options.signal });
  }

  async increaseStake(amount: bigint, options: ActionOptions = {}): Promise<SentTransaction> {
    await this.#token.ensureAllowance(this.address, amount, options);
    return increaseStake(this.#registry, { amount, signal: options.signal });
  }

  rotateNodeKey(newKey: Address, options: ActionOptions = {}): Promise<SentTransaction> {
    return rotateNodeKey(this.#registry, { newKey, signal: options.signal });
  }

  requestExit(options: ActionOptions = {}): Promise<SentTransaction> {
    return requestExit(this.#registry, options);
  }

  withdraw(options: ActionOptions = {}): Promise<SentTransaction> {
    return withdraw(this.#registry, options);
  }

  /** Slashes `amount` of `owner`'s stake with the hash of the evidence; needs SLASHER_ROLE. */
  slash(owner: Address, amount: bigint, evidence: Hex, options: ActionOptions = {}): Promise<SentTransaction> {
    return slash(this.#registry, { owner, amount, evidence, signal: options.signal });
  }
}
