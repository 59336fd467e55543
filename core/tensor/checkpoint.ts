import { keccak256, type Hex } from 'viem';
import { CheckpointCorruptError, CheckpointHashMismatchError, InvalidParametersError } from './errors.ts';
import { float32FromLittleEndian, float32ToLittleEndian, modelHash } from './hash.ts';
import { assertFinite, layoutSize, validateLayout, type ParameterLayout } from './layout.ts';
import type { ModelSpec } from './model-spec.ts';

/** What a checkpoint says about the model besides its weights. Extra JSON fields are kept as they are and committed by the model hash (but UNCOMMITTED_META_FIELDS). */
export interface CheckpointMeta {
  readonly round: number;
  readonly model: ModelSpec;
  readonly parentHash?: Hex;
  readonly [extra: string]: unknown;
}

/** A model at a round: weights, the outer optimizer's momentum, and metadata, addressed by `modelHash`, which covers all three. */
export interface Checkpoint {
  readonly modelHash: Hex;
  readonly layout: ParameterLayout;
  readonly params: Float32Array;
  readonly momentum?: Float32Array;
  readonly meta: CheckpointMeta;
}

/** What `createCheckpoint` needs; the hash is computed, never taken on trust. */
export type CheckpointInput = Omit<Checkpoint, 'modelHash'>;

const MAGIC = new TextEncoder().encode('GNCKPT01');
const DIGEST_BYTES = 32;
const HASH_PATTERN = /^0x[0-9a-f]{64}$/;

interface CheckpointHeader {
  modelHash: Hex;
  layout: ParameterLayout;
  meta: CheckpointMeta;
  paramCount: number;
  hasMomentum: boolean;
}

/** Validates the parts and computes the hash that names the checkpoint and commits to all of them. */
export function createCheckpoint(input: CheckpointInput): Checkpoint {
  validateLayout(input.layout);
  if (input.momentum !== undefined) {
    if (!(input.momentum instanceof Float32Array) || input.momentum.length !== input.params.length) {
      throw new InvalidParametersError(
        `checkpoint momentum has ${input.momentum?.length} values but the weights have ${input.params.length}; they must match`,
        input.momentum?.length,
      );
    }
    assertFinite(input.momentum, 'checkpoint momentum');
  }
  assertMeta(input.meta);
  return { ...input, modelHash: modelHash(input) };
}

/** Round 0: a model's initial weights, no momentum yet. Its hash is the ledger's genesis model hash. */
export function genesisCheckpoint(initial: { layout: ParameterLayout; params: Float32Array; spec: ModelSpec }): Checkpoint {
  return createCheckpoint({ layout: initial.layout, params: initial.params, meta: { round: 0, model: initial.spec } });
}

/**
 * Bytes: magic "GNCKPT01", u32 LE header length, header JSON (hash, layout, meta, counts),
 * weights and momentum as little-endian float32, then keccak256 of everything before it, which
 * tells a damaged file (CheckpointCorruptError) from another model (CheckpointHashMismatchError).
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const verified = createCheckpoint(checkpoint);
  if (verified.modelHash !== checkpoint.modelHash) throw new CheckpointHashMismatchError(checkpoint.modelHash, verified.modelHash);
  const header: CheckpointHeader = {
    modelHash: verified.modelHash,
    layout: verified.layout,
    meta: verified.meta,
    paramCount: verified.params.length,
    hasMomentum: verified.momentum !== undefined,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const tensorBytes = verified.params.byteLength * (header.hasMomentum ? 2 : 1);
  const bytes = new Uint8Array(MAGIC.length + 4 + headerBytes.length + tensorBytes + DIGEST_BYTES);
  let offset = 0;
  bytes.set(MAGIC, offset);
  offset += MAGIC.length;
  new DataView(bytes.buffer).setUint32(offset, headerBytes.length, true);
  offset += 4;
  bytes.set(headerBytes, offset);
  offset += headerBytes.length;
  bytes.set(float32ToLittleEndian(verified.params), offset);
  offset += verified.params.byteLength;
  if (verified.momentum) {
    bytes.set(float32ToLittleEndian(verified.momentum), offset);
    offset += verified.momentum.byteLength;
  }
  bytes.set(hexToBytes(keccak256(bytes.subarray(0, offset))), offset);
  return bytes;
}

/**
 * Decodes and verifies: integrity digest, structure, finite values, and that weights, momentum
 * and meta hash to `expectedHash`. Anything else is refused with an error that names what was expected and found.
 */
export function decodeCheckpoint(bytes: Uint8Array, expectedHashInput: Hex): Checkpoint {
  const expectedHash = String(expectedHashInput).toLowerCase() as Hex;
  if (!HASH_PATTERN.test(expectedHash)) {
    throw new CheckpointCorruptError(`expected checkpoint hash "${expectedHashInput}" is not a 0x-prefixed 32-byte hex string`, expectedHashInput);
  }
  if (!(bytes instanceof Uint8Array) || bytes.length < MAGIC.length + 4 + DIGEST_BYTES) {
    throw new CheckpointCorruptError(`checkpoint ${expectedHash} is truncated (${bytes?.length} bytes)`, bytes?.length);
  }
  if (!MAGIC.every((byte, i) => bytes[i] === byte)) {
    throw new CheckpointCorruptError(`checkpoint ${expectedHash} does not start with the gradnet checkpoint magic; it is another kind of file`, bytes.subarray(0, MAGIC.length));
  }
  const body = bytes.subarray(0, bytes.length - DIGEST_BYTES);
  const storedDigest = bytesToHex(bytes.subarray(bytes.length - DIGEST_BYTES));
  const actualDigest = keccak256(body);
  if (storedDigest !== actualDigest) {
    throw new CheckpointCorruptError(
      `checkpoint ${expectedHash} is corrupted: its integrity digest is ${storedDigest} but its contents hash to ${actualDigest}; fetch it again`,
      storedDigest,
    );
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  const headerStart = MAGIC.length + 4;
  if (headerStart + headerLength > body.length) {
    throw new CheckpointCorruptError(`checkpoint ${expectedHash} declares a ${headerLength}-byte header longer than the file`, headerLength);
  }
  const header = parseHeader(body.subarray(headerStart, headerStart + headerLength), expectedHash);
  const tensorStart = headerStart + headerLength;
  const expectedTensorBytes = header.paramCount * 4 * (header.hasMomentum ? 2 : 1);
  if (body.length - tensorStart !== expectedTensorBytes) {
    throw new CheckpointCorruptError(
      `checkpoint ${expectedHash} holds ${body.length - tensorStart} tensor bytes but its header needs ${expectedTensorBytes}`,
      body.length - tensorStart,
    );
  }
  const paramsEnd = tensorStart + header.paramCount * 4;
  const params = float32FromLittleEndian(body.subarray(tensorStart, paramsEnd));
  const momentum = header.hasMomentum ? float32FromLittleEndian(body.subarray(paramsEnd)) : undefined;
  const checkpoint = createCheckpoint({ layout: header.layout, params, momentum, meta: header.meta });
  if (checkpoint.modelHash !== expectedHash) throw new CheckpointHashMismatchError(expectedHash, checkpoint.modelHash);
  if (header.modelHash !== expectedHash) throw new CheckpointHashMismatchError(expectedHash, header.modelHash);
  return checkpoint;
}

function parseHeader(headerBytes: Uint8Array, expectedHash: Hex): CheckpointHeader {
  let header: CheckpointHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes)) as CheckpointHeader;
  } catch (error) {
    throw new CheckpointCorruptError(`checkpoint ${expectedHash} has an unreadable header: ${(error as Error).message}`, headerBytes.length);
  }
  if (typeof header !== 'object' || header === null || !Number.isInteger(header.paramCount) || typeof header.hasMomentum !== 'boolean') {
    throw new CheckpointCorruptError(`checkpoint ${expectedHash} has a malformed header`, header);
  }
  validateLayout(header.layout);
  if (layoutSize(header.layout) !== header.paramCount) {
    throw new CheckpointCorruptError(
      `checkpoint ${expectedHash} declares ${header.paramCount} values but its layout needs ${layoutSize(header.layout)}`,
      header.paramCount,
    );
  }
  return header;
}

function assertMeta(meta: CheckpointMeta): void {
  if (typeof meta !== 'object' || meta === null) throw new InvalidParametersError('checkpoint meta must be an object', meta);
  if (!Number.isInteger(meta.round) || meta.round < 0) {
    throw new InvalidParametersError(`checkpoint meta.round must be a non-negative integer, got ${meta.round}`, meta.round);
  }
  if (typeof meta.model !== 'object' || meta.model === null || typeof meta.model.name !== 'string') {
    throw new InvalidParametersError(`checkpoint meta.model must be a model spec with a name, got ${JSON.stringify(meta.model)}`, meta.model);
  }
  if (meta.parentHash !== undefined && !HASH_PATTERN.test(meta.parentHash)) {
    throw new InvalidParametersError(`checkpoint meta.parentHash "${meta.parentHash}" is not a 32-byte hex hash`, meta.parentHash);
  }
}

function hexToBytes(hex: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));
}

function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes).toString('hex')}`;
}
