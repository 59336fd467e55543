import type { Hex } from 'viem';
import type { PeerSigner, SignedCommitmentBytes, SignedUpdateBytes } from '../core/peer/index.ts';
import { encodeCommitment, encodeUpdate, nodeKeyAddress, signCommitment, signUpdate, updateDigest, type GradnetDomain } from '../core/protocol/index.ts';
import type { PreparedUpdate } from './trainer.ts';

/**
 * Signs prepared updates with the node key (EIP-712 in the chain's domain) and encodes them with
 * their payload inline: those bytes are what the daemon stores and gossips, every time. Also
 * signs the commitment to an update, gossiped before it.
 */
export class UpdateSigner implements PeerSigner<PreparedUpdate> {
  readonly nodeKey: Hex;
  readonly #privateKey: Hex;
  readonly #domain: GradnetDomain;

  constructor(options: { privateKey: Hex; domain: GradnetDomain }) {
    this.#privateKey = options.privateKey;
    this.#domain = options.domain;
    this.nodeKey = nodeKeyAddress(options.privateKey);
  }

  async sign(prepared: PreparedUpdate): Promise<SignedUpdateBytes> {
    const { round, baseModelHash, codec, payload, samples, trainLoss } = prepared;
    const update = await signUpdate({ privateKey: this.#privateKey, domain: this.#domain, round, baseModelHash, codec, payload, samples, trainLoss });
    return { round, baseModelHash, digest: updateDigest(update, this.#domain), bytes: encodeUpdate(update, { inline: true }) };
  }

  /** RFC 6979 signatures are deterministic: the commitment to an update is the same bytes however often it is made. */
  async commit(update: SignedUpdateBytes): Promise<SignedCommitmentBytes> {
    const { round, baseModelHash, digest } = update;
    const commitment = await signCommitment({ privateKey: this.#privateKey, domain: this.#domain, round, baseModelHash, updateDigest: digest });
    return { round, baseModelHash, digest, bytes: encodeCommitment(commitment) };
  }
}
