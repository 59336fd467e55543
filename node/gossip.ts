import type { Logger } from 'pino';
import type { GradnetNode } from '../core/p2p/index.ts';
import type { GossipEvent, PeerGossip, UpdateWindow } from '../core/peer/index.ts';
import { decodeUpdate, updateDigest, type GradnetDomain, type ValidationContext } from '../core/protocol/index.ts';

/**
 * The open round the gossip validator checks updates against. It is built before the validator
 * and the daemon: the daemon sets it, the validator reads it.
 */
export class UpdateWindowSource {
  readonly #maxNorm: number;
  #context: ValidationContext | undefined;

  constructor(options: { maxNorm: number }) {
    this.#maxNorm = options.maxNorm;
  }

  current(): ValidationContext | undefined {
    return this.#context;
  }

  set(window: UpdateWindow): void {
    this.#context = { ...window, maxNorm: this.#maxNorm };
  }
}

/** The peer's gossip port over a libp2p GradnetNode whose validator reads `window`. */
export function libp2pGossip(options: { p2p: GradnetNode; window: UpdateWindowSource; domain: GradnetDomain; logger: Logger }): PeerGossip {
  const { p2p, window, domain, logger } = options;
  p2p.on('refused', (event) => logger.debug({ kind: event.kind, reason: event.reason, detail: event.detail, peer: event.peer }, `refused a ${event.kind}: ${event.reason}`));
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
      p2p.on('round-open', (event) => listener({ type: 'roundOpen', round: event.round, baseModelHash: event.baseModelHash, peer: event.peer }));
      p2p.on('model-announce', (event) => listener({ type: 'modelAnnounce', round: event.round, modelHash: event.modelHash, peer: event.peer }));
      p2p.on('refused', ({ evidence }) => {
        if (evidence === undefined) return;
        const digests = [evidence.first, evidence.second].map((bytes) => updateDigest(decodeUpdate(bytes), domain));
        listener({ type: 'equivocation', round: evidence.round, nodeKey: evidence.nodeKey, digests });
      });
    },
    acceptUpdatesFor: (update) => window.set(update),
    publishUpdate: (update, options) => p2p.publishUpdate(decodeUpdate(update.bytes), options),
    publishHeartbeat: async (heartbeat, options) => {
      if (p2p.running) await p2p.publishHeartbeat(heartbeat, options);
    },
    updateSubscribers: () => (p2p.running ? p2p.topicPeers('update') : []),
  };
}
