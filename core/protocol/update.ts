import { bytesToHex, getAddress, hashTypedData, isAddress, recoverAddress, type Address, type Hex } from 'viem';
import { signTypedData } from 'viem/accounts';
import { CODEC_IDS, isCodecId, type CodecId } from '../tensor/index.ts';
import { InvalidMessageError } from './errors.ts';
import { Update as UpdateWire } from './generated/gradnet.ts';
import { nodeKeyAddress, nodeKeyHex } from './identity.ts';
import { wireBytes } from './bytes.ts';
import { contentHash } from './content-hash.ts';
import { toFixedPoint } from '../units/index.ts';

/** EIP-712 domain: a signature made for one chain and RoundLedger deployment never verifies on another. */
export interface GradnetDomain {
  readonly name: 'gradnet';
  readonly version: '1';
  readonly chainId: number;
  readonly verifyingContract: Address;
}

export function gradnetDomain(chainId: number, ledger: Address): GradnetDomain {
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new InvalidMessageError(`chain id must be a positive integer, got ${chainId}`, chainId);
  if (!isAddress(ledger, { strict: false })) throw new InvalidMessageError(`RoundLedger address ${ledger} is not an address`, ledger);
  return { name: 'gradnet', version: '1', chainId, verifyingContract: getAddress(ledger) };
}

/** Every field of an update except the signature and the payload bytes (which the digest covers). */
export const UPDATE_TYPES = {
  Update: [
    { name: 'round', type: 'uint64' },
    { name: 'baseModelHash', type: 'bytes32' },
    { name: 'nodeKey', type: 'address' },
    { name: 'samples', type: 'uint64' },
    { name: 'trainLoss', type: 'uint64' },
    { name: 'codec', type: 'string' },
    { name: 'payloadDigest', type: 'bytes32' },
    { name: 'payloadSize', type: 'uint64' },
  ],
} as const;

/** The signed fields of an update. `trainLoss` travels and is signed as fixed point 1e6, like the ledger's metrics (core/units). */
export interface UpdateFields {
  round: number;
  baseModelHash: Hex;
  nodeKey: Address;
  samples: number;
  trainLoss: number;
  codec: CodecId;
  payloadDigest: Hex;
  payloadSize: number;
}

/** An update with its signature; `payload` is present when it travels inline (or once fetched). */
export interface SignedUpdate extends UpdateFields {
  signature: Hex;
  payload?: Uint8Array;
}

/** The EIP-712 digest a node key signs: it identifies an update (duplicates, evidence, aggregation order). */
export function updateDigest(fields: UpdateFields, domain: GradnetDomain): Hex {
  return hashTypedData({ domain, types: UPDATE_TYPES, primaryType: 'Update', message: typedMessage(fields) });
}

function typedMessage(fields: UpdateFields) {
  return {
    round: BigInt(fields.round),
    baseModelHash: fields.baseModelHash,
    nodeKey: fields.nodeKey,
    samples: BigInt(fields.samples),
    trainLoss: BigInt(fields.trainLoss),
    codec: fields.codec,
    payloadDigest: fields.payloadDigest,
    payloadSize: BigInt(fields.payloadSize),
  };
}

export interface CreateUpdateInput {
  /** The node key (32 bytes) that signs; its address becomes `nodeKey`. */
  privateKey: Hex | Uint8Array;
  domain: GradnetDomain;
  round: number;
  baseModelHash: Hex;
  samples: number;
  /** Mean training loss as a float; stored as fixed point 1e6. */
  trainLoss: number;
  codec: CodecId;
  /** The encoded delta (from `encodeDelta`). */
  payload: Uint8Array;
}

/** Builds and signs an update over all its fields, the payload through its SHA-256 digest (`contentHash`). */
export async function signUpdate(input: CreateUpdateInput): Promise<SignedUpdate> {
  if (!Number.isFinite(input.trainLoss) || input.trainLoss < 0) {
    throw new InvalidMessageError(`train loss must be a finite non-negative number, got ${input.trainLoss}`, input.trainLoss);
  }
  const fields: UpdateFields = {
    round: input.round,
    baseModelHash: input.baseModelHash,
    nodeKey: nodeKeyAddress(input.privateKey),
    samples: input.samples,
    trainLoss: toFixedPoint(input.trainLoss),
    codec: input.codec,
    payloadDigest: contentHash(input.payload),
    payloadSize: input.payload.byteLength,
  };
  assertUpdateFields(fields);
  const signature = await signTypedData({
    privateKey: nodeKeyHex(input.privateKey),
    domain: input.domain,
    types: UPDATE_TYPES,
    primaryType: 'Update',
    message: typedMessage(fields),
  });
  return { ...fields, signature, payload: input.payload };
}

/** The address that signed `update`, or undefined when the signature does not recover. */
export async function recoverUpdateSigner(update: SignedUpdate, domain: GradnetDomain, digest = updateDigest(update, domain)): Promise<Address | undefined> {
  try {
    return await recoverAddress({ hash: digest, signature: update.signature });
  } catch {
    return undefined;
  }
}

/** True when `update` is signed by its own `nodeKey` for `domain`. */
export async function verifyUpdate(update: SignedUpdate, domain: GradnetDomain): Promise<boolean> {
  return (await recoverUpdateSigner(update, domain)) === getAddress(update.nodeKey);
}

const MAX_U64_SAFE = Number.MAX_SAFE_INTEGER;

/** Structural checks shared by signing and decoding: lengths, ranges, the codec name. */
export function assertUpdateFields(fields: UpdateFields): void {
  const integer = (name: string, value: number, min: number): void => {
    if (!Number.isSafeInteger(value) || value < min || value > MAX_U64_SAFE) {
      throw new InvalidMessageError(`update ${name} must be an integer ≥ ${min}, got ${value}`, value);
    }
  };
  integer('round', fields.round, 0);
  integer('samples', fields.samples, 1);
  integer('trainLoss', fields.trainLoss, 0);
  integer('payloadSize', fields.payloadSize, 1);
  for (const [name, value] of [['baseModelHash', fields.baseModelHash], ['payloadDigest', fields.payloadDigest]] as const) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new InvalidMessageError(`update ${name} must be a 32-byte hex hash, got ${value}`, value);
  }
  if (!isAddress(fields.nodeKey, { strict: false })) throw new InvalidMessageError(`update nodeKey ${fields.nodeKey} is not an address`, fields.nodeKey);
  if (!isCodecId(fields.codec)) throw new InvalidMessageError(`update codec ${JSON.stringify(fields.codec)} is unknown; use one of ${CODEC_IDS.join(', ')}`, fields.codec);
}

/** Wire bytes of an update; with `inline: false` the payload is left out and fetched by digest. */
export function encodeUpdate(update: SignedUpdate, options: { inline: boolean }): Uint8Array {
  if (options.inline && update.payload === undefined) {
    throw new InvalidMessageError('cannot encode an inline update without its payload', update.payloadDigest);
  }
  return UpdateWire.encode({
    round: update.round,
    baseModelHash: wireBytes(update.baseModelHash),
    nodeKey: wireBytes(update.nodeKey),
    samples: update.samples,
    trainLoss: update.trainLoss,
    codec: update.codec,
    payloadDigest: wireBytes(update.payloadDigest),
    payloadSize: update.payloadSize,
    payload: options.inline ? (update.payload as Uint8Array<ArrayBuffer>) : new Uint8Array(0),
    signature: wireBytes(update.signature),
  });
}

/**
 * Parses update wire bytes. Throws InvalidMessageError for undecodable bytes or malformed
 * fields; an unknown codec name is reported separately through `codec` being checked by the
 * caller (the validator counts it under its own reason), so it is returned as-is here.
 */
export function decodeUpdate(bytes: Uint8Array): SignedUpdate & { codec: string } {
  let wire: UpdateWire;
  try {
    wire = UpdateWire.decode(bytes);
  } catch (error) {
    throw new InvalidMessageError(`update bytes do not decode: ${(error as Error).message}`, bytes.byteLength, { cause: error });
  }
  const fixedLength = (name: string, value: Uint8Array, length: number): Hex => {
    if (value.byteLength !== length) throw new InvalidMessageError(`update ${name} must be ${length} bytes, got ${value.byteLength}`, value.byteLength);
    return bytesToHex(value);
  };
  const update = {
    round: wire.round,
    baseModelHash: fixedLength('baseModelHash', wire.baseModelHash, 32),
    nodeKey: getAddress(fixedLength('nodeKey', wire.nodeKey, 20)),
    samples: wire.samples,
    trainLoss: wire.trainLoss,
    codec: wire.codec,
    payloadDigest: fixedLength('payloadDigest', wire.payloadDigest, 32),
    payloadSize: wire.payloadSize,
    signature: fixedLength('signature', wire.signature, 65),
    payload: wire.payload.byteLength > 0 ? wire.payload : undefined,
  };
  // Codec names are checked by the caller (the validator counts them under their own reason).
  assertUpdateFields({ ...update, codec: isCodecId(update.codec) ? update.codec : 'fp32' });
  if (update.payload !== undefined && update.payload.byteLength !== update.payloadSize) {
    throw new InvalidMessageError(`inline payload is ${update.payload.byteLength} bytes but the update declares ${update.payloadSize}`, update.payload.byteLength);
  }
  return update as SignedUpdate & { codec: string };
}
