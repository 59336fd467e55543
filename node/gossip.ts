import type { Logger } from 'pino';
import type { GradnetNode } from '../core/p2p/index.ts';
import type { GossipEvent, PeerGossip, UpdateWindow } from '../core/peer/index.ts';
import { decodeCommitment, decodeUpdate, updateDigest, type GradnetDomain, type RoundOpen, type ValidationContext } from '../core/protocol/index.ts';

/**
 * The open round the gossip validator checks commitments and updates against. It is built before
 * the validator and the daemon: the daemon sets the round it follows on chain, the coordinator's
 * round-open announcement gives the round's stage and its update bounds, the validator reads both.
 * Until the coordinator has announced that round, nothing is validated (ignored, not relayed): a
 * relay checks updates with exactly the coordinator's bounds, so it never forwards what the
 * coordinator then refuses.
 */
export class UpdateWindowSource {
  #window: UpdateWindow | undefined;
  #announced: RoundOpen | undefined;

  current(): ValidationContext | undefined {
    const window = this.#window;
    const announced = this.#announced;
    if (window === undefined || announced === undefined) return undefined;
    if (announced.round !== window.round || announced.baseModelHash.toLowerCase() !== window.baseModelHash.toLowerCase()) return undefined;
    return { ...window, maxNorm: announced.maxUpdateNorm, maxSamples: announced.maxSamples, commitsClosed: announced.reveal };
  }

  set(window: UpdateWindow): void {
    this.#window = window;
  }

  /** A validated round-open announcement from the coordinator. */
  announce(roundOpen: RoundOpen): void {
    this.#announced = roundOpen;
  }
}

/** The peer's gossip port over a libp2p GradnetNode whose validator reads `window`. */
export function libp2pGossip(options: { p2p: GradnetNode; window: UpdateWindowSource; domain: GradnetDomain; logger: Logger }): PeerGossip {
  const { p2p, window, domain, logger } = options;
  p2p.on('refused', (event) => logger.debug({ kind: event.kind, reason: event.reason, detail: event.detail, peer: event.peer }, `refused a ${event.kind}: ${event.reason}`));
  p2p.on('round-open', (roundOpen) => window.announce(roundOpen));
  return {
    start: (options) => p2p.start(options),
    stop: () => p2p.stop(),
    get peerId() {
      return p2p.peerId;
    },
    multiaddrs: () => p2p.multiaddrs(),
    subscribe(listener: (event: GossipEvent) => void) {
      p2p.on('update', ({ update, digest, delta }) =>
        listener({ type: 'update', update: { round: update.round, baseModelHash: update.baseModelHash, nodeKey: update.nodeKey, digest, delta, samples: update.samples } }));
      p2p.on('round-open', (event) => listener({ type: 'roundOpen', round: event.round, baseModelHash: event.baseModelHash, reveal: event.reveal, peer: event.peer }));
      p2p.on('model-announce', (event) => listener({ type: 'modelAnnounce', round: event.round, modelHash: event.modelHash, peer: event.peer }));
      p2p.on('refused', ({ evidence }) => {
        if (evidence === undefined) return;
        const digests = [evidence.first, evidence.second].map((bytes) => updateDigest(decodeUpdate(bytes), domain));
        listener({ type: 'equivocation', round: evidence.round, nodeKey: evidence.nodeKey, digests });
      });
    },
    acceptUpdatesFor: (update) => window.set(update),
    publishCommitment: (commitment, options) => p2p.publishCommitment(decodeCommitment(commitment.bytes), options),
    publishUpdate: (update, options) => p2p.publishUpdate(decodeUpdate(update.bytes), options),
    publishHeartbeat: async (heartbeat, options) => {
      if (p2p.running) await p2p.publishHeartbeat(heartbeat, options);
    },
    updateSubscribers: () => (p2p.running ? p2p.topicPeers('update') : []),
  };
}
