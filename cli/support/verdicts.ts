import { readFile } from 'node:fs/promises';
import { getAddress, type Address, type Hex } from 'viem';
import { GradnetError } from '../../core/errors.ts';
import {
  decodeVerdict,
  encodeVerdict,
  isVerdictAgainst,
  recoverVerdictSigner,
  verdictKindOf,
  type GradnetDomain,
  type SignedVerdict,
  type VerdictKind,
} from '../../core/protocol/index.ts';

// Signed verdicts for `gradnet challenge`: read from files, then narrowed to those RoundChallenges
// will count against one committed round. Every check the contract makes is made here first, so
// that a challenge that would revert is refused with the reason instead of costing gas.

/** A verdict file named something that is not a signed verdict; the message names the file and entry. */
export class VerdictFileError extends GradnetError {
  constructor(message: string, options: { cause?: unknown; value?: unknown } = {}) {
    super('VERDICT_FILE', message, options);
  }
}

/**
 * Reads signed verdicts from a file: a JSON array, or one JSON object per line (blank lines are
 * skipped). Each is `{ round, modelHash, rewardsRoot, verdict, nodeKey, signature }` as
 * core/protocol's SignedVerdict, `verdict` being `match`/`mismatch`/`unavailable` or its code 0/1/2.
 * A daemon's JSON log works as it is: it logs every verdict it signs or hears under
 * `signedVerdict`, and its other lines are skipped.
 */
export async function readVerdictFile(file: string): Promise<SignedVerdict[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new VerdictFileError(`cannot read verdicts from ${file} (${(error as Error).message}); pass a readable JSON file with --verdicts`, { cause: error, value: file });
  }
  return parseVerdicts(text, file);
}

export function parseVerdicts(text: string, source: string): SignedVerdict[] {
  const trimmed = text.trim();
  const entries: { where: string; json: string }[] = trimmed.startsWith('[')
    ? [{ where: source, json: trimmed }]
    : trimmed.split('\n').flatMap((line, index) => (line.trim() === '' ? [] : [{ where: `${source}:${index + 1}`, json: line }]));
  const verdicts: SignedVerdict[] = [];
  for (const { where, json } of entries) {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new VerdictFileError(`${where} is not JSON (${(error as Error).message}); a verdict file holds a JSON array or one JSON object per line`, { cause: error });
    }
    const items = Array.isArray(value) ? value : [value];
    items.forEach((item, index) => {
      const logged = logLine(item);
      if (logged === null) return;
      verdicts.push(toSignedVerdict(logged ?? item, Array.isArray(value) ? `${where}[${index}]` : where));
    });
  }
  return verdicts;
}

/** A daemon's log line: its `signedVerdict`, or null for any other line; undefined when `item` is not a log line. */
function logLine(item: unknown): unknown {
  if (typeof item !== 'object' || item === null || !('msg' in item) || !('level' in item)) return undefined;
  return (item as { signedVerdict?: unknown }).signedVerdict ?? null;
}

/** One entry checked field by field (by the wire codec's own bounds): the message names what is wrong. */
function toSignedVerdict(item: unknown, where: string): SignedVerdict {
  if (typeof item !== 'object' || item === null) throw new VerdictFileError(`${where} is not a verdict object`, { value: item });
  const fields = item as Record<string, unknown>;
  try {
    const kind = typeof fields.verdict === 'number' ? verdictKindOf(fields.verdict) : (fields.verdict as VerdictKind);
    const candidate = { round: fields.round, modelHash: fields.modelHash, rewardsRoot: fields.rewardsRoot, verdict: kind, nodeKey: fields.nodeKey, signature: fields.signature } as SignedVerdict;
    return decodeVerdict(encodeVerdict(candidate));
  } catch (error) {
    throw new VerdictFileError(`${where} is not a signed verdict: ${(error as Error).message}`, { cause: error, value: item });
  }
}

/** What a challenge of one round is about: the round and what the ledger committed for it. */
export interface ChallengeSubject {
  round: number;
  modelHash: Hex;
  rewardsRoot: Hex;
}

/** A verdict left out of the challenge, and why. */
export interface SetAside {
  nodeKey: Address;
  reason: string;
}

export interface VerdictSelection {
  /** The verdicts RoundChallenges will count: against the subject, validly signed, one per active node key. */
  counted: SignedVerdict[];
  /** The active stake behind them. */
  stakeAgainst: bigint;
  setAside: SetAside[];
}

/**
 * The verdicts that count against `subject`: about this round and exactly the committed model
 * hash and rewards root, `mismatch` or `unavailable`, signed in this deployment's domain by the
 * node key they name, one per node key (the first), from a node that is active now.
 */
export async function selectVerdicts(
  verdicts: readonly SignedVerdict[],
  subject: ChallengeSubject,
  options: { domain: GradnetDomain; activeStakeOf: (nodeKey: Address) => Promise<bigint> },
): Promise<VerdictSelection> {
  const counted: SignedVerdict[] = [];
  const setAside: SetAside[] = [];
  const seen = new Set<Address>();
  let stakeAgainst = 0n;
  for (const verdict of verdicts) {
    const nodeKey = getAddress(verdict.nodeKey);
    const reason = await problemOf(verdict, subject, options.domain);
    if (reason !== undefined) {
      setAside.push({ nodeKey, reason });
      continue;
    }
    if (seen.has(nodeKey)) {
      setAside.push({ nodeKey, reason: 'a second verdict of this node key (the first counts)' });
      continue;
    }
    seen.add(nodeKey);
    const stake = await options.activeStakeOf(nodeKey);
    if (stake === 0n) {
      setAside.push({ nodeKey, reason: 'not an active node now (RoundChallenges would refuse the whole challenge)' });
      continue;
    }
    counted.push(verdict);
    stakeAgainst += stake;
  }
  return { counted, stakeAgainst, setAside };
}

async function problemOf(verdict: SignedVerdict, subject: ChallengeSubject, domain: GradnetDomain): Promise<string | undefined> {
  if (verdict.round !== subject.round) return `about round ${verdict.round}, not ${subject.round}`;
  const same = (a: Hex, b: Hex): boolean => a.toLowerCase() === b.toLowerCase();
  if (!same(verdict.modelHash, subject.modelHash) || !same(verdict.rewardsRoot, subject.rewardsRoot)) {
    return `about model ${verdict.modelHash} and rewards root ${verdict.rewardsRoot}, not what the ledger holds for round ${subject.round} now (a commit a challenge already voided?)`;
  }
  if (!isVerdictAgainst(verdict.verdict)) return 'a match verdict (only mismatch and unavailable count against a round)';
  const signer = await recoverVerdictSigner(verdict, domain);
  if (signer === undefined || getAddress(signer) !== getAddress(verdict.nodeKey)) {
    return `its signature recovers ${signer ?? 'nothing'}, not its node key (signed for another chain or deployment, or forged)`;
  }
  return undefined;
}

/** The stake RoundChallenges requires against a round: `thresholdBps` of the total active stake, rounded up as it compares. */
export function stakeNeeded(totalActiveStake: bigint, thresholdBps: number): bigint {
  return (totalActiveStake * BigInt(thresholdBps) + 9_999n) / 10_000n;
}
