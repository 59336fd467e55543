import { zeroAddress, type Address, type Hex, type LocalAccount } from 'viem';
import {
  activeStakeOf,
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
  slashEquivocation,
  totalActiveStake,
  unbondingPeriod,
  withdraw,
  type ActionOptions,
  type ContractAt,
  type NodeOfReturnType,
  type SentTransaction,
} from './actions/index.ts';
import type { ChainClients } from './clients.ts';
import { NoAccountError } from './errors.ts';
import { TokenClient } from './token.ts';

/** The EIP-712 type a node key signs to consent to being bound to an owner (NodeRegistry's NODE_KEY_BINDING_TYPEHASH). */
export const NODE_KEY_BINDING_TYPES = { NodeKeyBinding: [{ name: 'owner', type: 'address' }] } as const;

/** The NodeRegistry's own EIP-712 domain: a binding signed for one chain and registry never verifies on another. */
export function registryDomain(chainId: number, registry: Address) {
  return { name: 'gradnet NodeRegistry', version: '1', chainId, verifyingContract: registry } as const;
}

/** The node key's signature over `owner`, which `register` and `rotateNodeKey` require (it proves the owner holds the key). */
export function signNodeKeyBinding(nodeKey: LocalAccount, binding: { owner: Address; chainId: number; registry: Address }): Promise<Hex> {
  return nodeKey.signTypedData({
    domain: registryDomain(binding.chainId, binding.registry),
    types: NODE_KEY_BINDING_TYPES,
    primaryType: 'NodeKeyBinding',
    message: { owner: binding.owner },
  });
}

/** One signed update as evidence: the fields core/protocol signs (EIP-712 `Update`) and the signature. */
export interface SignedUpdateEvidence {
  round: number;
  baseModelHash: Hex;
  nodeKey: Address;
  samples: number;
  trainLoss: number;
  codec: string;
  payloadDigest: Hex;
  payloadSize: number;
  signature: Hex;
}

/** The NodeRegistry's `Update` struct of a signed update (its fields as the contract types them). */
export function updateStruct(update: Omit<SignedUpdateEvidence, 'signature'>) {
  return {
    round: BigInt(update.round),
    baseModelHash: update.baseModelHash,
    nodeKey: update.nodeKey,
    samples: BigInt(update.samples),
    trainLoss: BigInt(update.trainLoss),
    codec: update.codec,
    payloadDigest: update.payloadDigest,
    payloadSize: BigInt(update.payloadSize),
  };
}

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

  /** The stake of every registered, non-exiting node: challenge thresholds are measured against it. */
  totalActiveStake(): Promise<bigint> {
    return this.#cached('totalActiveStake', () => totalActiveStake(this.#registry));
  }

  /** The stake behind `nodeKey` when it is active, else 0n: what its verdict weighs in a challenge. */
  activeStakeOf(nodeKey: Address): Promise<bigint> {
    return this.#cached(`activeStake:${nodeKey.toLowerCase()}`, () => activeStakeOf(this.#registry, { nodeKey }));
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

/** Write side of NodeRegistry for an owner wallet (and for anyone reporting equivocation). */
export class RegistryClient {
  readonly address: Address;
  readonly #registry: ContractAt<'NodeRegistry'>;
  readonly #token: TokenClient;

  constructor(clients: ChainClients, addresses: { registry: Address; token: Address }) {
    this.address = addresses.registry;
    this.#registry = contractAt(clients, 'NodeRegistry', addresses.registry);
    this.#token = new TokenClient(clients, addresses.token);
  }

  /**
   * Registers `nodeKey` for the client's account with `stake`, approving the registry first when
   * needed; the node key signs the owner address so that nobody else can bind it.
   */
  async register(nodeKey: LocalAccount, stake: bigint, options: ActionOptions = {}): Promise<SentTransaction> {
    const nodeKeySignature = await this.#bindingSignature(nodeKey);
    await this.#token.ensureAllowance(this.address, stake, options);
    return register(this.#registry, { nodeKey: nodeKey.address, stake, nodeKeySignature, signal: options.signal });
  }

  async increaseStake(amount: bigint, options: ActionOptions = {}): Promise<SentTransaction> {
    await this.#token.ensureAllowance(this.address, amount, options);
    return increaseStake(this.#registry, { amount, signal: options.signal });
  }

  /** Replaces the owner's node key with `newKey`, which signs the owner address. */
  async rotateNodeKey(newKey: LocalAccount, options: ActionOptions = {}): Promise<SentTransaction> {
    return rotateNodeKey(this.#registry, { newKey: newKey.address, nodeKeySignature: await this.#bindingSignature(newKey), signal: options.signal });
  }

  /** The stake of every registered, non-exiting node, uncached (RegistryReader caches it). */
  totalActiveStake(options: ActionOptions = {}): Promise<bigint> {
    return totalActiveStake(this.#registry, options);
  }

  /** The stake behind `nodeKey` when it is active, else 0n, uncached (RegistryReader caches it). */
  activeStakeOf(nodeKey: Address, options: ActionOptions = {}): Promise<bigint> {
    return activeStakeOf(this.#registry, { nodeKey, signal: options.signal });
  }

  requestExit(options: ActionOptions = {}): Promise<SentTransaction> {
    return requestExit(this.#registry, options);
  }

  withdraw(options: ActionOptions = {}): Promise<SentTransaction> {
    return withdraw(this.#registry, options);
  }

  /**
   * Proves that one node key signed two different updates for one round and base model: the
   * registry checks both signatures, takes the node's stake and pays the client's account a bounty.
   */
  slashEquivocation(first: SignedUpdateEvidence, second: SignedUpdateEvidence, options: ActionOptions = {}): Promise<SentTransaction> {
    return slashEquivocation(this.#registry, {
      first: updateStruct(first),
      firstSignature: first.signature,
      second: updateStruct(second),
      secondSignature: second.signature,
      signal: options.signal,
    });
  }

  #bindingSignature(nodeKey: LocalAccount): Promise<Hex> {
    const { account, chainId } = this.#registry.clients;
    if (account === undefined) throw new NoAccountError('NodeRegistry.register');
    return signNodeKeyBinding(nodeKey, { owner: account.address, chainId, registry: this.address });
  }
}
