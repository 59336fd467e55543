import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { keccak256, toHex, type Address, type Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { nodeKeyAddress } from '../../core/protocol/index.ts';
import type { ChildMessage, ParentMessage } from './gossip-peer.ts';

const PEERS = 8;
const SIZES = [64 * 1024, 256 * 1024, 1024 * 1024];
const WARMUP = 6;
const SAMPLES = 24;
const CHAIN_ID = 31337;
const LEDGER: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
const BASE_MODEL: Hex = keccak256(toHex('gossip bench'));
/** Generous: eight processes loading libp2p at once on a shared 2-core machine take a while. */
const STEP_TIMEOUT_MS = 90_000;

/** One child process running gossip-peer.ts, with a promise per awaited reply. */
class Peer {
  private waiters: { match: (m: ChildMessage) => boolean; resolve: (m: ChildMessage) => void; reject: (e: Error) => void }[] = [];
  readonly deliveries = new Map<Hex, number>();
  private deliveryWaiters = new Map<Hex, () => void>();

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'delivered') {
        this.deliveries.set(message.digest, message.t);
        this.deliveryWaiters.get(message.digest)?.();
      }
      if (message.type === 'failed') for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(message.error));
      const index = this.waiters.findIndex((waiter) => waiter.match(message));
      if (index >= 0) this.waiters.splice(index, 1)[0].resolve(message);
    });
    child.on('exit', (code) => {
      for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`gossip peer exited with code ${code}`));
    });
  }

  request<T extends ChildMessage>(message: ParentMessage, match: (reply: ChildMessage) => reply is T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gossip peer did not answer ${message.type} within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
      this.waiters.push({
        match,
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send(message);
    });
  }

  /** Resolves when this peer has accepted the update with payload digest `digest`. */
  delivered(digest: Hex): Promise<void> {
    if (this.deliveries.has(digest)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`update ${digest} did not reach a peer within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS);
      this.deliveryWaiters.set(digest, () => {
        clearTimeout(timer);
        this.deliveryWaiters.delete(digest);
        resolve();
      });
    });
  }

  step(message: ParentMessage): Promise<ChildMessage> {
    return this.request(message, (reply): reply is ChildMessage => reply.type === 'done' && reply.of === message.type);
  }
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

/**
 * Eight gradnet nodes, each in its own process, on loopback, four neighbours each. For each
 * payload size, peers take turns
 * publishing a signed fp32 update; the figure is the time from publish to the last of the other
 * seven peers accepting it (validation included; 1 MiB payloads go by blob reference).
 */
export async function run(_options: { jsonFile: string }): Promise<Record<string, unknown>> {
  const loadAtStart = Number(loadavg()[0].toFixed(2));
  const script = fileURLToPath(new URL('./gossip-peer.ts', import.meta.url));
  const keys = Array.from({ length: PEERS }, () => generatePrivateKey());
  const directory = keys.map((key) => nodeKeyAddress(key));
  const peers = keys.map(() => new Peer(fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
  try {
    const ready = await Promise.all(
      peers.map((peer, i) =>
        peer.request(
          { type: 'init', privateKey: keys[i], directory, chainId: CHAIN_ID, ledger: LEDGER, baseModelHash: BASE_MODEL },
          (reply): reply is Extract<ChildMessage, { type: 'ready' }> => reply.type === 'ready',
        ),
      ),
    );
    // Peer i dials peers i+1 and i+3 (mod 8): a ring with chords, four neighbours each, so a
    // publisher reaches four peers directly and the other three through one forwarding hop.
    await Promise.all(peers.map((peer, i) => peer.step({ type: 'dial', addresses: [ready[(i + 1) % PEERS].address, ready[(i + 3) % PEERS].address] })));
    await Promise.all(peers.map((peer) => peer.step({ type: 'wait-mesh', peers: 4 })));
    // Give gossipsub heartbeats time to graft full meshes.
    await new Promise((resolve) => setTimeout(resolve, 3000));

    let round = 1;
    const sizes: Record<string, { p50Ms: number; p95Ms: number; meanMs: number; firstP50Ms: number; samples: number; inline: boolean }> = {};
    for (const size of SIZES) {
      const parameterCount = size / 4;
      const latencies: number[] = [];
      const firstArrivals: number[] = [];
      let inline = true;
      for (let i = 0; i < WARMUP + SAMPLES; i++) {
        round++;
        await Promise.all(peers.map((peer) => peer.step({ type: 'context', round, parameterCount })));
        const publisher = peers[i % PEERS];
        const published = await publisher.request({ type: 'publish', round, parameterCount }, (reply): reply is Extract<ChildMessage, { type: 'published' }> => reply.type === 'published');
        inline = published.inline;
        const receivers = peers.filter((peer) => peer !== publisher);
        await Promise.all(receivers.map((peer) => peer.delivered(published.digest)));
        const arrivals = receivers.map((peer) => peer.deliveries.get(published.digest)! - published.t0);
        if (i >= WARMUP) {
          latencies.push(Math.max(...arrivals));
          firstArrivals.push(Math.min(...arrivals));
        }
      }
      sizes[String(size)] = {
        p50Ms: Number(percentile(latencies, 0.5).toFixed(1)),
        p95Ms: Number(percentile(latencies, 0.95).toFixed(1)),
        meanMs: Number((latencies.reduce((a, b) => a + b, 0) / latencies.length).toFixed(1)),
        // Publish to the first peer's acceptance: one hop, for comparison with the last.
        firstP50Ms: Number(percentile(firstArrivals, 0.5).toFixed(1)),
        samples: latencies.length,
        inline,
      };
    }
    return {
      suite: 'gossip',
      peers: PEERS,
      topology: 'ring with chords (i+1, i+3), four neighbours each',
      codec: 'fp32',
      sizes,
      // Latency here is mostly CPU scheduling: say how busy the shared machine was.
      machine: { cpus: availableParallelism(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: Number(loadavg()[0].toFixed(2)) },
    };
  } finally {
    // Children stop their node when the IPC channel closes; kill any that do not exit.
    for (const peer of peers) if (peer.child.connected) peer.child.disconnect();
    await Promise.all(peers.map((peer) => (peer.child.exitCode !== null ? undefined : new Promise((resolve) => {
      const timer = setTimeout(() => peer.child.kill(), 5000);
      peer.child.once('exit', () => resolve(clearTimeout(timer)));
    }))));
  }
}
