import { keccak256, stringToBytes, type Address, type Hex } from 'viem';
import {
  createGossipValidator,
  encodeUpdate,
  gradnetDomain,
  nodeKeyAddress,
  signUpdate,
  type GossipValidator,
  type ValidationContext,
  type ValidationReason,
} from '../../core/protocol/index.ts';
import { encodeDelta, isSparseCodec, type CodecId } from '../../core/tensor/index.ts';
import { SimulationError } from './errors.ts';

/** A hardhat-style local chain and a fixed ledger address: the signatures need a domain, nothing is sent to a chain. */
const SIMULATED_CHAIN_ID = 31337;
const SIMULATED_LEDGER: Address = '0x000000000000000000000000000000000000beef';

/** What one peer put on the wire in a round and what the coordinator made of it. */
export type Delivery =
  | { accepted: true; nodeKey: Address; digest: Hex; payloadDigest: Hex; delta: Float32Array; payloadBytes: number }
  | { accepted: false; reason: ValidationReason; detail: string; payloadBytes: number };

/**
 * The network path of an update without the sockets: the peer encodes its delta with the codec
 * (keeping its error-feedback residual), signs the update with its node key (EIP-712), serialises
 * it, and the coordinator's real GossipValidator checks it (signature, registry, round, base model,
 * size, decode, finite values, norm bound) and hands back the decoded delta and its digest.
 */
export class SimulatedWire {
  readonly nodeKeys: Address[];
  private readonly privateKeys: Hex[];
  private readonly residuals: (Float32Array | undefined)[];
  private readonly validator: GossipValidator;
  private readonly maxNorm: number;
  private context: ValidationContext | undefined;

  constructor(options: { peers: number; seed: number; maxNorm: number }) {
    this.privateKeys = Array.from({ length: options.peers }, (_, peer) => keccak256(stringToBytes(`gradnet/bench/${options.seed}/peer/${peer}`)));
    this.nodeKeys = this.privateKeys.map((key) => nodeKeyAddress(key));
    this.residuals = new Array(options.peers).fill(undefined);
    const registered = new Set(this.nodeKeys);
    this.maxNorm = options.maxNorm;
    this.validator = createGossipValidator({
      domain: gradnetDomain(SIMULATED_CHAIN_ID, SIMULATED_LEDGER),
      // Every simulated peer is registered and staked; attackers too, as on the real network.
      directory: { isActive: async (nodeKey) => registered.has(nodeKey) },
      context: () => this.context,
      isCoordinator: () => false,
    });
  }

  /** Opens a round: from now on only updates for `round` on `baseModelHash` are valid. */
  openRound(round: number, baseModelHash: Hex, parameterCount: number): void {
    this.context = { round, baseModelHash, parameterCount, maxNorm: this.maxNorm };
  }

  /** The peer's error-feedback residual: what its earlier payloads left out (undefined before its first lossy send). */
  residualOf(peer: number): Float32Array | undefined {
    return this.residuals[peer];
  }

  async send(peer: number, update: { delta: Float32Array; samples: number; trainLoss: number; codec: CodecId; topkFraction?: number }): Promise<Delivery> {
    const context = this.context;
    if (!context) throw new SimulationError('open a round before sending updates', peer);
    const encoded = encodeDelta(update.codec, update.delta, {
      residual: this.residuals[peer],
      k: isSparseCodec(update.codec) ? update.topkFraction : undefined,
    });
    this.residuals[peer] = encoded.residual;
    const signed = await signUpdate({
      privateKey: this.privateKeys[peer],
      domain: gradnetDomain(SIMULATED_CHAIN_ID, SIMULATED_LEDGER),
      round: context.round,
      baseModelHash: context.baseModelHash,
      samples: update.samples,
      trainLoss: update.trainLoss,
      codec: update.codec,
      payload: encoded.payload,
    });
    const verdict = await this.validator.validateUpdate(encodeUpdate(signed, { inline: true }), { from: this.nodeKeys[peer] });
    const payloadBytes = encoded.payload.byteLength;
    if (verdict.outcome !== 'accept') return { accepted: false, reason: verdict.reason, detail: verdict.detail, payloadBytes };
    // Decoded by the validator from the bytes it received, exactly what a receiver aggregates.
    return {
      accepted: true,
      nodeKey: verdict.update.nodeKey,
      digest: verdict.digest,
      payloadDigest: verdict.update.payloadDigest,
      delta: verdict.delta,
      payloadBytes,
    };
  }
}
