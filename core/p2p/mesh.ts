import type { Libp2p, PeerId } from '@libp2p/interface';
import { P2PConfigError } from './errors.ts';

export interface MeshOptions {
  /** Connections this node keeps open, dialling peers it has discovered while it has fewer. Default 8. */
  targetConnections?: number;
  /** How often it tops up its connections (besides on every discovery). Default 5 s. */
  intervalMs?: number;
  /** Time one dial may take. Default 10 s. */
  dialTimeoutMs?: number;
  /** A peer that could not be dialled is left alone this long before it is tried again. Default 30 s. */
  retryAfterMs?: number;
}

/**
 * Keeps a node in the mesh: libp2p itself dials nobody it discovers (pubsub peer discovery,
 * gossipsub peer exchange, identify), so this dials known peers, in random order, while the node
 * has fewer connections than its target. Random order spreads a network that all bootstrapped
 * from one hub over each other instead of all staying on the hub; a peer that failed (behind NAT,
 * gone) waits before it is tried again so unreachable addresses do not eat every top-up.
 */
export class MeshKeeper {
  private readonly target: number;
  private readonly intervalMs: number;
  private readonly dialTimeoutMs: number;
  private readonly retryAfterMs: number;
  private readonly failedUntil = new Map<string, number>();
  private readonly dialling = new Set<string>();
  private timer?: NodeJS.Timeout;
  private readonly onDiscovery = (): void => void this.topUp();

  constructor(
    private readonly libp2p: Libp2p,
    private readonly lifetime: AbortSignal,
    options: MeshOptions = {},
  ) {
    this.target = nonNegative('targetConnections', options.targetConnections ?? 8);
    this.intervalMs = positive('intervalMs', options.intervalMs ?? 5000);
    this.dialTimeoutMs = positive('dialTimeoutMs', options.dialTimeoutMs ?? 10_000);
    this.retryAfterMs = nonNegative('retryAfterMs', options.retryAfterMs ?? 30_000);
  }

  start(): void {
    this.libp2p.addEventListener('peer:discovery', this.onDiscovery);
    this.timer = setInterval(this.onDiscovery, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.libp2p.removeEventListener('peer:discovery', this.onDiscovery);
  }

  /** Dials as many unconnected known peers as the node is short of its target; resolves when those dials end. */
  async topUp(): Promise<void> {
    if (this.lifetime.aborted || this.libp2p.status !== 'started') return;
    const connected = new Set(this.libp2p.getPeers().map((peer) => peer.toString()));
    const missing = this.target - connected.size - this.dialling.size;
    if (missing <= 0) return;
    const now = Date.now();
    const self = this.libp2p.peerId.toString();
    const candidates = (await this.libp2p.peerStore.all()).filter((peer) => {
      const id = peer.id.toString();
      return id !== self && !connected.has(id) && !this.dialling.has(id) && peer.addresses.length > 0 && (this.failedUntil.get(id) ?? 0) <= now;
    });
    await Promise.all(shuffle(candidates).slice(0, missing).map((peer) => this.dial(peer.id)));
  }

  private async dial(peer: PeerId): Promise<void> {
    const id = peer.toString();
    this.dialling.add(id);
    try {
      await this.libp2p.dial(peer, { signal: AbortSignal.any([this.lifetime, AbortSignal.timeout(this.dialTimeoutMs)]) });
      this.failedUntil.delete(id);
    } catch {
      this.failedUntil.set(id, Date.now() + this.retryAfterMs);
    } finally {
      this.dialling.delete(id);
    }
  }
}

/** A copy of `items` in random order (Fisher–Yates). */
export function shuffle<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new P2PConfigError(`mesh option ${name} must be a non-negative integer, got ${value}`, value);
  return value;
}

function positive(name: string, value: number): number {
  if (nonNegative(name, value) === 0) throw new P2PConfigError(`mesh option ${name} must be above 0, got ${value}`, value);
  return value;
}
