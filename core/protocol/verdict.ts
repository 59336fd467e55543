import { bytesToHex, getAddress, hashTypedData, isAddress, recoverAddress, type Address, type Hex } from 'viem';
import { signTypedData } from 'viem/accounts';
import { wireBytes } from './bytes.ts';
import { InvalidMessageError } from './errors.ts';
import { Verdict as VerdictWire } from './generated/verdict.ts';
import { nodeKeyAddress, nodeKeyHex } from './identity.ts';
import type { GradnetDomain } from './update.ts';

/**
 * What an auditor concludes about a committed round, by on-chain code (the index): `match` when
 * its replay gives both the committed model hash and the committed rewards root, `mismatch` when
 * either differs, `unavailable` when an included update or the committed model could not be had
 * within the challenge window. RoundChallenges counts mismatch and unavailable alike, against.
 */
export const VERDICT_KINDS = ['match', 'mismatch', 'unavailable'] as const;
export type VerdictKind = (typeof VERDICT_KINDS)[number];

/** The uint8 a verdict kind is signed and submitted as. */
export function verdictCode(kind: VerdictKind): number {
  const code = VERDICT_KINDS.indexOf(kind);
  if (code < 0) throw new InvalidMessageError(`verdict ${JSON.stringify(kind)} is unknown; use match, mismatch or unavailable`, kind);
  return code;
}

/** The verdict kind of an on-chain code; throws for any other number. */
export function verdictKindOf(code: number): VerdictKind {
  const kind = VERDICT_KINDS[code];
  if (!Number.isInteger(code) || kind === undefined) throw new InvalidMessageError(`verdict code ${code} is unknown; 0 match, 1 mismatch, 2 unavailable`, code);
  return kind;
}

/** Whether a verdict counts toward a challenge (mismatch and unavailable do). */
export function isVerdictAgainst(kind: VerdictKind): boolean {
  return kind !== 'match';
}

/** EIP-712 type of a verdict, signed in the protocol's domain (`gradnetDomain`), as RoundChallenges checks it. */
export const VERDICT_TYPES = {
  Verdict: [
    { name: 'round', type: 'uint64' },
    { name: 'modelHash', type: 'bytes32' },
    { name: 'rewardsRoot', type: 'bytes32' },
    { name: 'verdict', type: 'uint8' },
  ],
} as const;

/** What a verdict is about: the round and the model hash and rewards root the ledger committed for it. */
export interface VerdictFields {
  round: number;
  modelHash: Hex;
  rewardsRoot: Hex;
  verdict: VerdictKind;
}

export interface SignedVerdict extends VerdictFields {
  /** The auditor's node key (who signed). */
  nodeKey: Address;
  signature: Hex;
}

export interface SignVerdictInput extends VerdictFields {
  /** The auditor's node key (32 bytes); its address becomes `nodeKey`. */
  privateKey: Hex | Uint8Array;
  domain: GradnetDomain;
}

/** A verdict's wire bytes stay far below this (about 170); anything larger is junk. */
export const MAX_VERDICT_BYTES = 512;

const HASH = /^0x[0-9a-fA-F]{64}$/;

function typedMessage(fields: VerdictFields) {
  return { round: BigInt(fields.round), modelHash: fields.modelHash, rewardsRoot: fields.rewardsRoot, verdict: verdictCode(fields.verdict) };
}

/** Structural checks shared by signing and decoding. Round 0 is genesis, which nobody audits. */
export function assertVerdictFields(fields: VerdictFields): void {
  if (!Number.isSafeInteger(fields.round) || fields.round < 1) {
    throw new InvalidMessageError(`verdict round must be an integer ≥ 1 (round 0 is genesis), got ${fields.round}`, fields.round);
  }
  for (const [name, value] of [['modelHash', fields.modelHash], ['rewardsRoot', fields.rewardsRoot]] as const) {
    if (typeof value !== 'string' || !HASH.test(value)) throw new InvalidMessageError(`verdict ${name} must be a 32-byte hex hash, got ${value}`, value);
  }
  verdictCode(fields.verdict);
}

/** The EIP-712 digest a node key signs for a verdict (RoundChallenges.verdictDigest computes the same). */
export function verdictDigest(fields: VerdictFields, domain: GradnetDomain): Hex {
  assertVerdictFields(fields);
  return hashTypedData({ domain, types: VERDICT_TYPES, primaryType: 'Verdict', message: typedMessage(fields) });
}

/** Signs a verdict with the auditor's node key. */
export async function signVerdict(input: SignVerdictInput): Promise<SignedVerdict> {
  const fields: VerdictFields = { round: input.round, modelHash: input.modelHash, rewardsRoot: input.rewardsRoot, verdict: input.verdict };
  assertVerdictFields(fields);
  const signature = await signTypedData({ privateKey: nodeKeyHex(input.privateKey), domain: input.domain, types: VERDICT_TYPES, primaryType: 'Verdict', message: typedMessage(fields) });
  return { ...fields, nodeKey: nodeKeyAddress(input.privateKey), signature };
}

/** The address that signed `verdict` in `domain`, or undefined when the signature does not recover. */
export async function recoverVerdictSigner(verdict: SignedVerdict, domain: GradnetDomain): Promise<Address | undefined> {
  try {
    return await recoverAddress({ hash: verdictDigest(verdict, domain), signature: verdict.signature });
  } catch {
    return undefined;
  }
}

export function encodeVerdict(verdict: SignedVerdict): Uint8Array {
  assertVerdictFields(verdict);
  if (!isAddress(verdict.nodeKey, { strict: false })) throw new InvalidMessageError(`verdict nodeKey ${verdict.nodeKey} is not an address`, verdict.nodeKey);
  return VerdictWire.encode({
    round: verdict.round,
    modelHash: wireBytes(verdict.modelHash),
    rewardsRoot: wireBytes(verdict.rewardsRoot),
    verdict: verdictCode(verdict.verdict),
    nodeKey: wireBytes(verdict.nodeKey),
    signature: wireBytes(verdict.signature),
  });
}

/** Parses verdict wire bytes; throws InvalidMessageError for oversize or undecodable bytes and malformed fields. */
export function decodeVerdict(bytes: Uint8Array): SignedVerdict {
  if (bytes.byteLength > MAX_VERDICT_BYTES) throw new InvalidMessageError(`verdict of ${bytes.byteLength} bytes exceeds ${MAX_VERDICT_BYTES}`, bytes.byteLength);
  let wire: VerdictWire;
  try {
    wire = VerdictWire.decode(bytes);
  } catch (error) {
    throw new InvalidMessageError(`verdict bytes do not decode: ${(error as Error).message}`, bytes.byteLength, { cause: error });
  }
  const fixedLength = (name: string, value: Uint8Array, length: number): Hex => {
    if (value.byteLength !== length) throw new InvalidMessageError(`verdict ${name} must be ${length} bytes, got ${value.byteLength}`, value.byteLength);
    return bytesToHex(value);
  };
  const verdict: SignedVerdict = {
    round: wire.round,
    modelHash: fixedLength('modelHash', wire.modelHash, 32),
    rewardsRoot: fixedLength('rewardsRoot', wire.rewardsRoot, 32),
    verdict: verdictKindOf(wire.verdict),
    nodeKey: getAddress(fixedLength('nodeKey', wire.nodeKey, 20)),
    signature: fixedLength('signature', wire.signature, 65),
  };
  assertVerdictFields(verdict);
  return verdict;
}

/** What the ledger committed for a round, as far as a verdict names it. */
export interface CommittedVerdictSubject {
  modelHash: Hex;
  rewardsRoot: Hex;
}

/** The ledger as verdict validation reads it; the chain's LedgerClient satisfies it through a small adapter. */
export interface VerdictLedger {
  /** The round's committed model hash and rewards root, or undefined when the round is not (yet) committed. */
  committedRound(round: number, signal?: AbortSignal): Promise<CommittedVerdictSubject | undefined>;
}

/** Why a verdict is not kept: the validator counts each under its own reason. */
export interface VerdictProblem {
  reason: 'bad_signature' | 'unknown_round' | 'wrong_commitment' | 'registry_unavailable';
  detail: string;
}

/**
 * The verdict-specific checks after decoding: the signature recovers its own node key in this
 * deployment's domain (cheap, local: junk costs no RPC), then the round is committed and the
 * verdict names exactly the ledger's model hash and rewards root (a verdict on anything else
 * cannot be used on chain). Whether the signer is an active node is the validator's shared check.
 */
export async function checkVerdict(verdict: SignedVerdict, options: { domain: GradnetDomain; ledger: VerdictLedger; signal?: AbortSignal }): Promise<VerdictProblem | undefined> {
  const signer = await recoverVerdictSigner(verdict, options.domain);
  if (signer !== getAddress(verdict.nodeKey)) return { reason: 'bad_signature', detail: `verdict signature recovers ${signer}, not its node key ${verdict.nodeKey}` };
  let committed: CommittedVerdictSubject | undefined;
  try {
    committed = await options.ledger.committedRound(verdict.round, options.signal);
  } catch (error) {
    return { reason: 'registry_unavailable', detail: `ledger lookup of round ${verdict.round} failed: ${(error as Error).message}` };
  }
  if (committed === undefined) return { reason: 'unknown_round', detail: `round ${verdict.round} is not committed on the ledger` };
  if (committed.modelHash.toLowerCase() !== verdict.modelHash.toLowerCase() || committed.rewardsRoot.toLowerCase() !== verdict.rewardsRoot.toLowerCase()) {
    return {
      reason: 'wrong_commitment',
      detail: `verdict on round ${verdict.round} names model ${verdict.modelHash} and rewards root ${verdict.rewardsRoot}; the ledger holds ${committed.modelHash} and ${committed.rewardsRoot}`,
    };
  }
  return undefined;
}
