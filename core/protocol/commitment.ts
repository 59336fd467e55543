import { bytesToHex, getAddress, hashTypedData, recoverAddress, type Address, type Hex } from 'viem';
import { signTypedData } from 'viem/accounts';
import { wireBytes } from './bytes.ts';
import { InvalidMessageError } from './errors.ts';
import { Commitment as CommitmentWire } from './generated/gradnet.ts';
import { nodeKeyAddress, nodeKeyHex } from './identity.ts';
import type { GradnetDomain } from './update.ts';

// Commit, then reveal: a node gossips a commitment to its update's digest before anyone has seen
// the update, and the coordinator counts only updates committed to before the reveal opened. A
// node that copies someone's payload (exactly or with noise) sees it only after the reveal opened,
// too late to commit to a copy; so the author of a payload, not the fastest re-signer, is paid.

/** The EIP-712 type a node key signs to commit to an update (in the same domain as updates). */
export const COMMITMENT_TYPES = {
  Commitment: [
    { name: 'round', type: 'uint64' },
    { name: 'baseModelHash', type: 'bytes32' },
    { name: 'nodeKey', type: 'address' },
    { name: 'updateDigest', type: 'bytes32' },
  ],
} as const;

/** What a commitment binds: the node's update for `round` on `baseModelHash` is the one with `updateDigest`. */
export interface CommitmentFields {
  round: number;
  baseModelHash: Hex;
  nodeKey: Address;
  /** The EIP-712 digest of the update (`updateDigest`), which covers its payload's hash. */
  updateDigest: Hex;
}

export interface SignedCommitment extends CommitmentFields {
  signature: Hex;
}

function typedMessage(fields: CommitmentFields) {
  return { round: BigInt(fields.round), baseModelHash: fields.baseModelHash, nodeKey: fields.nodeKey, updateDigest: fields.updateDigest };
}

/** The EIP-712 digest of a commitment: its identity (a re-sent commitment has the same one). */
export function commitmentDigest(fields: CommitmentFields, domain: GradnetDomain): Hex {
  return hashTypedData({ domain, types: COMMITMENT_TYPES, primaryType: 'Commitment', message: typedMessage(fields) });
}

/**
 * Signs a commitment to the update `updateDigest` with the node key. Signatures are
 * deterministic (RFC 6979), so signing the same commitment again gives the same bytes.
 */
export async function signCommitment(input: { privateKey: Hex | Uint8Array; domain: GradnetDomain; round: number; baseModelHash: Hex; updateDigest: Hex }): Promise<SignedCommitment> {
  const fields: CommitmentFields = { round: input.round, baseModelHash: input.baseModelHash, nodeKey: nodeKeyAddress(input.privateKey), updateDigest: input.updateDigest };
  assertCommitmentFields(fields);
  const signature = await signTypedData({ privateKey: nodeKeyHex(input.privateKey), domain: input.domain, types: COMMITMENT_TYPES, primaryType: 'Commitment', message: typedMessage(fields) });
  return { ...fields, signature };
}

/** The address that signed `commitment`, or undefined when the signature does not recover. */
export async function recoverCommitmentSigner(commitment: SignedCommitment, domain: GradnetDomain): Promise<Address | undefined> {
  try {
    return await recoverAddress({ hash: commitmentDigest(commitment, domain), signature: commitment.signature });
  } catch {
    return undefined;
  }
}

function assertCommitmentFields(fields: CommitmentFields): void {
  if (!Number.isSafeInteger(fields.round) || fields.round < 0) throw new InvalidMessageError(`commitment round must be a non-negative integer, got ${fields.round}`, fields.round);
  for (const [name, value] of [['baseModelHash', fields.baseModelHash], ['updateDigest', fields.updateDigest]] as const) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new InvalidMessageError(`commitment ${name} must be a 32-byte hex hash, got ${value}`, value);
  }
}

export function encodeCommitment(commitment: SignedCommitment): Uint8Array {
  return CommitmentWire.encode({
    round: commitment.round,
    baseModelHash: wireBytes(commitment.baseModelHash),
    nodeKey: wireBytes(commitment.nodeKey),
    updateDigest: wireBytes(commitment.updateDigest),
    signature: wireBytes(commitment.signature),
  });
}

/** Parses commitment wire bytes; throws InvalidMessageError for bytes that do not decode or malformed fields. */
export function decodeCommitment(bytes: Uint8Array): SignedCommitment {
  let wire: CommitmentWire;
  try {
    wire = CommitmentWire.decode(bytes);
  } catch (error) {
    throw new InvalidMessageError(`commitment bytes do not decode: ${(error as Error).message}`, bytes.byteLength, { cause: error });
  }
  const fixedLength = (name: string, value: Uint8Array, length: number): Hex => {
    if (value.byteLength !== length) throw new InvalidMessageError(`commitment ${name} must be ${length} bytes, got ${value.byteLength}`, value.byteLength);
    return bytesToHex(value);
  };
  const commitment: SignedCommitment = {
    round: wire.round,
    baseModelHash: fixedLength('baseModelHash', wire.baseModelHash, 32),
    nodeKey: getAddress(fixedLength('nodeKey', wire.nodeKey, 20)),
    updateDigest: fixedLength('updateDigest', wire.updateDigest, 32),
    signature: fixedLength('signature', wire.signature, 65),
  };
  assertCommitmentFields(commitment);
  return commitment;
}
