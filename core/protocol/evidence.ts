import { concat, keccak256, type Address, type Hex } from 'viem';
import { InvalidEvidenceError } from './errors.ts';
import { decodeUpdate, encodeUpdate, recoverUpdateSigner, updateDigest, type GradnetDomain, type SignedUpdate } from './update.ts';

/**
 * Proof that a node signed two different updates for one round. `first` and `second` are the
 * updates' wire bytes without payload (the signatures cover the payload digests), so anyone can
 * check both signatures; `evidenceHash` is what `NodeRegistry.slash` records.
 */
export interface EquivocationEvidence {
  nodeKey: Address;
  round: number;
  first: Uint8Array;
  second: Uint8Array;
  evidenceHash: Hex;
}

/** keccak256 of the two EIP-712 digests in ascending order, so both orders give one hash. */
export function evidenceHashOf(firstDigest: Hex, secondDigest: Hex): Hex {
  const [low, high] = firstDigest.toLowerCase() < secondDigest.toLowerCase() ? [firstDigest, secondDigest] : [secondDigest, firstDigest];
  return keccak256(concat([low, high]));
}

export function equivocationEvidence(first: SignedUpdate, second: SignedUpdate, domain: GradnetDomain): EquivocationEvidence {
  const firstDigest = updateDigest(first, domain);
  const secondDigest = updateDigest(second, domain);
  if (first.nodeKey !== second.nodeKey || first.round !== second.round || firstDigest === secondDigest) {
    throw new InvalidEvidenceError('equivocation needs two different updates from one node key in one round', { first: firstDigest, second: secondDigest });
  }
  return {
    nodeKey: first.nodeKey,
    round: first.round,
    first: encodeUpdate(first, { inline: false }),
    second: encodeUpdate(second, { inline: false }),
    evidenceHash: evidenceHashOf(firstDigest, secondDigest),
  };
}

/** Re-checks evidence received from elsewhere: both signatures by `nodeKey`, same round, different updates. */
export async function verifyEquivocationEvidence(
  evidence: EquivocationEvidence,
  domain: GradnetDomain,
): Promise<boolean> {
  try {
    const first = decodeUpdate(evidence.first);
    const second = decodeUpdate(evidence.second);
    const firstDigest = updateDigest(first, domain);
    const secondDigest = updateDigest(second, domain);
    return (
      first.nodeKey === evidence.nodeKey &&
      second.nodeKey === evidence.nodeKey &&
      first.round === evidence.round &&
      second.round === evidence.round &&
      firstDigest !== secondDigest &&
      (await recoverUpdateSigner(first, domain, firstDigest)) === evidence.nodeKey &&
      (await recoverUpdateSigner(second, domain, secondDigest)) === evidence.nodeKey &&
      evidenceHashOf(firstDigest, secondDigest) === evidence.evidenceHash
    );
  } catch {
    return false;
  }
}
