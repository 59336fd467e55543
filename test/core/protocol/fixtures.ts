import { keccak256, toHex, type Address, type Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { encodeDelta, type CodecId } from '../../../core/tensor/index.ts';
import {
  createGossipValidator,
  gradnetDomain,
  nodeKeyAddress,
  signUpdate,
  type NodeDirectory,
  type SignedUpdate,
  type GossipValidator,
  type ValidationContext,
} from '../../../core/protocol/index.ts';

export const LEDGER: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
export const DOMAIN = gradnetDomain(31337, LEDGER);
export const BASE_MODEL: Hex = keccak256(toHex('genesis'));
export const PARAMETERS = 1000;

/** A directory of known node keys, as the registry would hold them after registration. */
export class MemoryDirectory implements NodeDirectory {
  readonly active = new Set<Address>();
  async isActive(nodeKey: Address): Promise<boolean> {
    return this.active.has(nodeKey);
  }
}

export interface TestNode {
  privateKey: Hex;
  address: Address;
}

export function newNodeKey(): TestNode {
  const privateKey = generatePrivateKey();
  return { privateKey, address: nodeKeyAddress(privateKey) };
}

export function context(round = 3): ValidationContext {
  return { round, baseModelHash: BASE_MODEL, parameterCount: PARAMETERS, maxNorm: 10 };
}

export function smallDelta(seed: number, length = PARAMETERS, scale = 0.01): Float32Array {
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.sin(seed * 7.1 + i * 0.37) * scale;
  return out;
}

export async function makeUpdate(
  node: TestNode,
  overrides: { round?: number; baseModelHash?: Hex; codec?: CodecId; delta?: Float32Array; samples?: number } = {},
): Promise<SignedUpdate> {
  const codec = overrides.codec ?? 'int8';
  const { payload } = encodeDelta(codec, overrides.delta ?? smallDelta(1));
  return signUpdate({
    privateKey: node.privateKey,
    domain: DOMAIN,
    round: overrides.round ?? 3,
    baseModelHash: overrides.baseModelHash ?? BASE_MODEL,
    samples: overrides.samples ?? 640,
    trainLoss: 0.42,
    codec,
    payload,
  });
}

export function makeValidator(directory: NodeDirectory, round = 3, coordinators: Address[] = []): GossipValidator {
  return createGossipValidator({
    domain: DOMAIN,
    directory,
    context: () => context(round),
    isCoordinator: (address) => coordinators.includes(address),
  });
}
