import { bytesToHex, getAddress, type Address, type Hex } from 'viem';
import { wireBytes } from './bytes.ts';
import { InvalidMessageError } from './errors.ts';
import { Heartbeat as HeartbeatWire, ModelAnnounce as ModelAnnounceWire, RoundOpen as RoundOpenWire } from './generated/gradnet.ts';

/** A node's periodic liveness signal; `timestamp` is unix milliseconds. */
export interface Heartbeat {
  nodeKey: Address;
  round: number;
  modelHash: Hex;
  version: string;
  timestamp: number;
}

/**
 * The coordinator opened `round` on `baseModelHash`. Until `reveal`, it takes commitments; from
 * then on, the committed updates. `deadline` (unix ms) ends the current stage. Every receiver
 * validates the round's updates with the bounds announced here, the coordinator's own.
 */
export interface RoundOpen {
  round: number;
  baseModelHash: Hex;
  deadline: number;
  reveal: boolean;
  /** Largest L2 norm of an update's delta. */
  maxUpdateNorm: number;
  /** Most samples one update may claim. */
  maxSamples: number;
}

/** The coordinator committed `modelHash` for `round`; its checkpoint is served by hash. */
export interface ModelAnnounce {
  round: number;
  modelHash: Hex;
  parentHash: Hex;
  checkpointSize: number;
  /** Deadline (unix ms) of the next round, opened on this model; 0 when none is open. */
  deadline: number;
}

const MAX_VERSION_LENGTH = 64;

function hash32(name: string, value: Uint8Array): Hex {
  if (value.byteLength !== 32) throw new InvalidMessageError(`${name} must be 32 bytes, got ${value.byteLength}`, value.byteLength);
  return bytesToHex(value);
}

function safeInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new InvalidMessageError(`${name} must be a non-negative integer, got ${value}`, value);
  return value;
}

function decodeWith<T>(kind: string, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw new InvalidMessageError(`${kind} bytes do not decode: ${(error as Error).message}`, kind, { cause: error });
  }
}

export function encodeHeartbeat(heartbeat: Heartbeat): Uint8Array {
  return HeartbeatWire.encode({ ...heartbeat, nodeKey: wireBytes(heartbeat.nodeKey), modelHash: wireBytes(heartbeat.modelHash) });
}

export function decodeHeartbeat(bytes: Uint8Array): Heartbeat {
  const wire = decodeWith('heartbeat', () => HeartbeatWire.decode(bytes));
  if (wire.nodeKey.byteLength !== 20) throw new InvalidMessageError(`heartbeat nodeKey must be 20 bytes, got ${wire.nodeKey.byteLength}`, wire.nodeKey.byteLength);
  if (wire.version.length > MAX_VERSION_LENGTH) throw new InvalidMessageError(`heartbeat version is longer than ${MAX_VERSION_LENGTH} characters`, wire.version.length);
  return {
    nodeKey: getAddress(bytesToHex(wire.nodeKey)),
    round: safeInteger('heartbeat round', wire.round),
    modelHash: hash32('heartbeat modelHash', wire.modelHash),
    version: wire.version,
    timestamp: safeInteger('heartbeat timestamp', wire.timestamp),
  };
}

export function encodeRoundOpen(message: RoundOpen): Uint8Array {
  return RoundOpenWire.encode({ ...message, baseModelHash: wireBytes(message.baseModelHash) });
}

export function decodeRoundOpen(bytes: Uint8Array): RoundOpen {
  const wire = decodeWith('round-open', () => RoundOpenWire.decode(bytes));
  if (!Number.isFinite(wire.maxUpdateNorm) || wire.maxUpdateNorm <= 0) {
    throw new InvalidMessageError(`round-open maxUpdateNorm must be a positive number, got ${wire.maxUpdateNorm}`, wire.maxUpdateNorm);
  }
  if (safeInteger('round-open maxSamples', wire.maxSamples) === 0) throw new InvalidMessageError('round-open maxSamples must be positive, got 0', 0);
  return {
    round: safeInteger('round-open round', wire.round),
    baseModelHash: hash32('round-open baseModelHash', wire.baseModelHash),
    deadline: safeInteger('round-open deadline', wire.deadline),
    reveal: wire.reveal,
    maxUpdateNorm: wire.maxUpdateNorm,
    maxSamples: wire.maxSamples,
  };
}

export function encodeModelAnnounce(message: ModelAnnounce): Uint8Array {
  return ModelAnnounceWire.encode({ ...message, modelHash: wireBytes(message.modelHash), parentHash: wireBytes(message.parentHash) });
}

export function decodeModelAnnounce(bytes: Uint8Array): ModelAnnounce {
  const wire = decodeWith('model-announce', () => ModelAnnounceWire.decode(bytes));
  return {
    round: safeInteger('model-announce round', wire.round),
    modelHash: hash32('model-announce modelHash', wire.modelHash),
    parentHash: hash32('model-announce parentHash', wire.parentHash),
    checkpointSize: safeInteger('model-announce checkpointSize', wire.checkpointSize),
    deadline: safeInteger('model-announce deadline', wire.deadline),
  };
}
