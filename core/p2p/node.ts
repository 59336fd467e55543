import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { privateKeyFromRaw } from '@libp2p/crypto/keys';
import { gossipsub, StrictSign, TopicValidatorResult, type GossipSub, type Message } from '@libp2p/gossipsub';
import { createTopicScoreParams } from '@libp2p/gossipsub/score';
import { autoNAT } from '@libp2p/autonat';
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { dcutr } from '@libp2p/dcutr';
import { identify } from '@libp2p/identify';
import { mdns } from '@libp2p/mdns';
import type { Libp2p, PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { ping } from '@libp2p/ping';
import { pubsubPeerDiscovery } from '@libp2p/pubsub-peer-discovery';
import { tcp } from '@libp2p/tcp';
import { uPnPNAT } from '@libp2p/upnp-nat';
import { webSockets } from '@libp2p/websockets';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import type { Address, Hex } from 'viem';
import {
  INLINE_PAYLOAD_LIMIT,
  MAX_GOSSIP_MESSAGE_BYTES,
  MESSAGE_FIELDS_BYTES,
  TOPIC_KINDS,
  addressFromPeerKey,
  encodeCommitment,
  encodeHeartbeat,
  encodeModelAnnounce,
  encodeRoundOpen,
  encodeUpdate,
  encodeVerdict,
  gradnetTopics,
  nodeKeyAddress,
  nodeKeyBytes,
  type ValidatedUpdate,
  type EquivocationEvidence,
  type GradnetTopics,
  type Heartbeat,
  type ModelAnnounce,
  type RoundOpen,
  type SignedCommitment,
  type SignedUpdate,
  type SignedVerdict,
  type TopicKind,
  type GossipValidator,
  type ValidationReason,
  type Verdict,
} from '../protocol/index.ts';
import { BlobExchange, type BlobExchangeOptions, type FetchBlobOptions } from './blob-exchange.ts';
import { MemoryBlobStore, type BlobSource } from './blob-store.ts';
import { MeshKeeper, shuffle, type MeshOptions } from './mesh.ts';
import { BlobFetchError, NodeNotRunningError, P2PConfigError, PublishError } from './errors.ts';

export interface GradnetNodeOptions {
  /** The 32-byte secp256k1 node key: libp2p identity and registered Ethereum node key at once. */
  privateKey: Hex | Uint8Array;
  /**
   * Multiaddrs to listen on. Default `/ip4/127.0.0.1/tcp/0`. Add `/p2p-circuit` to be reachable
   * through a relay when behind NAT (a reservation on a relaying peer; DCUtR then punches a hole).
   */
  listen?: string[];
  /** Multiaddrs others should dial instead of the listen addresses, e.g. a public address forwarded to this host. */
  announce?: string[];
  /** How many connections to keep and how often to top them up from discovered peers. */
  mesh?: MeshOptions;
  /** How often this node announces its addresses on the deployment's discovery topic. Default 5 s. */
  discoveryIntervalMs?: number;
  /**
   * Find peers of the same deployment on the local network by multicast DNS, besides the
   * discovery topic. Off by default: on a LAN it finds neighbours with no bootstrap address; on a
   * public host it would only announce the node to its data centre's neighbours.
   */
  mdns?: boolean;
  /**
   * Ask the local router over UPnP to forward the TCP listen ports to this host, and announce the
   * router's external address. Off by default: it changes the router's settings, which the
   * operator should choose to allow.
   */
  upnp?: boolean;
  /**
   * Offer Circuit Relay v2 to peers behind NAT (reservations, each relayed connection limited in
   * time and bytes: it carries hole punching, not traffic). Default: offered, 16 reservations.
   */
  relay?: { serve: boolean; maxReservations?: number };
  /** Multiaddrs with `/p2p/<peer id>` dialled at start and re-dialled while disconnected. */
  bootstrap?: string[];
  chainId: number;
  /** The RoundLedger address: it scopes topics (and the EIP-712 domain the validator checks). */
  ledger: Address;
  validator: GossipValidator;
  /** Extra bytes this node serves by hash, e.g. a CheckpointStore (`getBytes(hash)`). */
  blobStore?: BlobSource;
  blob?: BlobExchangeOptions;
  /** Memory for update payloads kept to serve on. Default 256 MiB. */
  memoryBlobBytes?: number;
  /** How often to re-dial disconnected bootstrap peers. Default 5 s. */
  redialIntervalMs?: number;
  /**
   * For this long after start, a node connected to its bootstrap hub only waits for discovery to
   * connect it to another peer before it fetches a blob (from the hub). Default 6 s: a little more
   * than a discovery round.
   */
  joinGraceMs?: number;
}

/** Bytes fetched by hash, the peer that served them, and whether it is a bootstrap hub. */
export interface FetchedBlob {
  bytes: Uint8Array;
  peer: string;
  hub: boolean;
}

/** An accepted update as delivered to the application, with the libp2p peer that published it. */
export interface UpdateEvent extends ValidatedUpdate {
  peer: string;
}

/** A validated commitment as delivered to the application; `digest` is the commitment's own EIP-712 digest. */
export interface CommitmentEvent {
  commitment: SignedCommitment;
  digest: Hex;
  peer: string;
}

export interface RefusedEvent {
  kind: TopicKind;
  outcome: 'reject' | 'ignore';
  reason: Exclude<ValidationReason, 'valid'>;
  detail: string;
  /** The neighbour that sent it to us (who gossipsub scores down on reject). */
  peer: string;
  evidence?: EquivocationEvidence;
}

export interface GradnetNodeEvents {
  update: [UpdateEvent];
  heartbeat: [Heartbeat & { peer: string }];
  'round-open': [RoundOpen & { peer: string }];
  'model-announce': [ModelAnnounce & { peer: string }];
  verdict: [SignedVerdict & { peer: string }];
  commitment: [CommitmentEvent];
  refused: [RefusedEvent];
  /** A connection opened through a relay (a peer behind NAT); DCUtR then tries a direct one. */
  relayed: [{ peer: string; address: string }];
}

export interface PublishResult {
  /** Peers the message was sent to directly (0: nobody subscribed yet). */
  recipients: number;
}

export interface SignalOption {
  signal?: AbortSignal;
}

const DEFAULT_LISTEN = ['/ip4/127.0.0.1/tcp/0'];
const EMPTY = new Uint8Array(0);
/** Mean pause before other peers are asked again for a blob none held, before the hub is (0.5-1.5×; n times that before the n-th pass). */
const HUB_FALLBACK_PAUSE_MS = 600;
/** How long a node that just started waits to be connected to a peer other than its hub before it fetches from the hub. */
const JOIN_GRACE_MS = 6000;
/** Times the hub is asked for a blob before a fetch gives up on it while it answers busy. */
const HUB_PASSES = 4;

type Services = { pubsub: GossipSub; identify: unknown; ping: unknown; autoNAT: unknown; dcutr: unknown; relay?: unknown; upnp?: unknown };

/** The discovery topic of one deployment: nodes announce their addresses on it (pubsub peer discovery). */
export function discoveryTopic(topics: GradnetTopics): string {
  return topics.heartbeat.replace(/\/heartbeat$/, '/peers');
}

/** The mDNS service one deployment's nodes answer to, so a LAN with two deployments keeps them apart. */
export function mdnsServiceTag(topics: GradnetTopics): string {
  const deployment = createHash('sha256').update(topics.heartbeat).digest('hex').slice(0, 16);
  return `_gradnet-${deployment}._udp.local`;
}

/**
 * A gradnet peer on libp2p: TCP and WebSockets + noise + yamux, identify, ping, gossipsub with validating topic
 * handlers, and the `/gradnet/blob/1` exchange. Create with `createGradnetNode`, then `start()`.
 */
export class GradnetNode extends EventEmitter<GradnetNodeEvents> {
  readonly topics: GradnetTopics;
  /** The Ethereum address of the node key. */
  readonly address: Address;
  readonly blobs: MemoryBlobStore;
  private libp2pNode?: Libp2p<Services>;
  private exchange?: BlobExchange;
  private redialTimer?: NodeJS.Timeout;
  private mesh?: MeshKeeper;
  private lifetime = new AbortController();
  private startedAt = 0;

  constructor(private readonly options: GradnetNodeOptions) {
    super();
    // Refuse a bad key or address now, where the caller passed it, rather than at start().
    nodeKeyBytes(options.privateKey);
    this.topics = gradnetTopics(options.chainId, options.ledger);
    this.address = nodeKeyAddress(options.privateKey);
    this.blobs = new MemoryBlobStore(options.memoryBlobBytes);
    for (const address of [...(options.listen ?? []), ...(options.announce ?? []), ...(options.bootstrap ?? [])]) parseMultiaddr(address);
  }

  get running(): boolean {
    return this.libp2pNode?.status === 'started';
  }

  get peerId(): string {
    return this.libp2p('read its peer id').peerId.toString();
  }

  /** The underlying libp2p node, for diagnostics. */
  libp2p(operation = 'use libp2p'): Libp2p<Services> {
    if (this.libp2pNode === undefined || this.libp2pNode.status !== 'started') throw new NodeNotRunningError(operation);
    return this.libp2pNode;
  }

  async start(options: SignalOption = {}): Promise<void> {
    if (this.running) return;
    this.lifetime = new AbortController();
    this.startedAt = Date.now();
    const topics = Object.values(this.topics);
    const peersTopic = discoveryTopic(this.topics);
    const relay = this.options.relay ?? { serve: true };
    const node = await createLibp2p<Services>({
      privateKey: privateKeyFromRaw(nodeKeyBytes(this.options.privateKey)),
      addresses: { listen: this.options.listen ?? DEFAULT_LISTEN, announce: this.options.announce },
      // The relay transport dials and accepts relayed connections (and reserves a slot when
      // `/p2p-circuit` is listened on); DCUtR then upgrades them to direct ones. WebSockets
      // listens only on `/ws` addresses (for hosts whose firewall passes HTTP ports only) and
      // dials peers that announce them.
      transports: [tcp(), webSockets(), circuitRelayTransport()],
      peerDiscovery: [
        pubsubPeerDiscovery({ interval: this.options.discoveryIntervalMs ?? 5000, topics: [peersTopic] }),
        ...(this.options.mdns ? [mdns({ serviceTag: mdnsServiceTag(this.topics), interval: this.options.discoveryIntervalMs ?? 5000 })] : []),
      ],
      connectionEncrypters: [noise()],
      // A stream window larger than the largest gossip message (1 MiB) lets a message go out
      // in one flight instead of stalling on window updates from a busy receiver.
      streamMuxers: [yamux({ streamOptions: { initialStreamWindowSize: 4 * 1024 * 1024, maxStreamWindowSize: 16 * 1024 * 1024 } })],
      // Many peers on one host (tests, demos) all connect in from one address. Handshakes get
      // more time than libp2p's defaults (6-10 s): peers that are busy training answer slowly.
      connectionManager: {
        inboundConnectionThreshold: 100,
        maxConnections: 200,
        dialTimeout: 30_000,
        addressDialTimeout: 20_000,
        inboundUpgradeTimeout: 30_000,
      },
      services: {
        identify: identify(),
        ping: ping(),
        autoNAT: autoNAT(),
        dcutr: dcutr(),
        ...(relay.serve ? { relay: circuitRelayServer({ reservations: { maxReservations: relay.maxReservations ?? 16 } }) } : {}),
        ...(this.options.upnp ? { upnp: uPnPNAT({ portMappingDescription: 'gradnet' }) } : {}),
        pubsub: gossipsub({
          globalSignaturePolicy: StrictSign,
          emitSelf: false,
          allowPublishToZeroTopicPeers: true,
          floodPublish: true,
          // Pruned peers learn others to graft from (peer exchange), which the mesh keeper dials.
          doPX: true,
          allowedTopics: [...topics, peersTopic],
          maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES,
          // Recognise copies of a message before gossipsub verifies its signature again (each
          // node gets one copy per neighbour): author, sequence number and signature identify
          // it. Only messages that passed verification enter this cache, so a tampered copy
          // cannot shadow the genuine one.
          fastMsgIdFn: (message) => Buffer.concat([message.from ?? EMPTY, message.seqno ?? EMPTY, message.signature ?? EMPTY]).toString('base64'),
          scoreParams: {
            topics: Object.fromEntries(
              topics.map((topic) => [
                topic,
                // Traffic is sparse (one update per node per round), so neither quiet peers are
                // penalised nor time in the mesh rewarded (it would mask penalties under the
                // topic score cap). Invalid deliveries count squared: one gives -5, four reach
                // gossipsub's graylist threshold (-80); they decay by 1% a second.
                createTopicScoreParams({
                  topicWeight: 1,
                  timeInMeshWeight: 0,
                  meshMessageDeliveriesWeight: 0,
                  meshFailurePenaltyWeight: 0,
                  invalidMessageDeliveriesWeight: -5,
                  invalidMessageDeliveriesDecay: 0.99,
                }),
              ]),
            ),
          },
        }),
      },
    });
    this.libp2pNode = node;
    try {
      options.signal?.throwIfAborted();
      const exchange = new BlobExchange(node, [this.blobs, ...(this.options.blobStore ? [this.options.blobStore] : [])], this.options.blob);
      this.exchange = exchange;
      await exchange.start();
      for (const kind of TOPIC_KINDS) {
        node.services.pubsub.topicValidators.set(this.topics[kind], (peer, message) => this.validate(kind, peer, message));
        node.services.pubsub.subscribe(this.topics[kind]);
      }
      await Promise.allSettled((this.options.bootstrap ?? []).map((address) => this.dial(address, options)));
      const interval = this.options.redialIntervalMs ?? 5000;
      this.redialTimer = setInterval(() => void this.redialBootstrap(), interval);
      this.redialTimer.unref();
      node.addEventListener('connection:open', ({ detail: connection }) => {
        const address = connection.remoteAddr.toString();
        if (address.includes('/p2p-circuit')) this.emit('relayed', { peer: connection.remotePeer.toString(), address });
      });
      this.mesh = new MeshKeeper(node, this.lifetime.signal, this.options.mesh);
      this.mesh.start();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.redialTimer);
    this.mesh?.stop();
    this.lifetime.abort(new Error('gradnet node stopped'));
    const node = this.libp2pNode;
    if (node === undefined) return;
    await this.exchange?.stop().catch(() => undefined);
    await node.stop();
    this.libp2pNode = undefined;
    this.exchange = undefined;
  }

  multiaddrs(): string[] {
    return this.libp2p('list its addresses').getMultiaddrs().map((address) => address.toString());
  }

  async dial(address: string, options: SignalOption = {}): Promise<void> {
    await this.libp2p('dial').dial(parseMultiaddr(address), { signal: options.signal });
  }

  connectedPeers(): string[] {
    return this.libp2p('list peers').getPeers().map((peer) => peer.toString());
  }

  /** Peers known to be subscribed to the topic of `kind`. */
  topicPeers(kind: TopicKind): string[] {
    return this.libp2p('list topic peers').services.pubsub.getSubscribers(this.topics[kind]).map((peer) => peer.toString());
  }

  /** Resolves once at least `count` peers subscribe to the topic of `kind`. */
  async waitForTopicPeers(kind: TopicKind, count: number, options: SignalOption & { pollMs?: number } = {}): Promise<void> {
    while (this.topicPeers(kind).length < count) {
      options.signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 50));
    }
  }

  /** gossipsub's score of a neighbour; negative after invalid deliveries. */
  peerScore(peer: string): number {
    // getScore is on the implementation, not on the GossipSub interface libp2p exports.
    const pubsub = this.libp2p('read peer scores').services.pubsub as unknown as { getScore(peer: string): number };
    return pubsub.getScore(peer);
  }

  /**
   * Gossips a signed update. While the whole message stays within 1 MiB the payload travels
   * inline; above that it is kept here and the message carries its digest, which receivers
   * fetch over `/gradnet/blob/1`.
   */
  async publishUpdate(update: SignedUpdate, options: SignalOption = {}): Promise<PublishResult & { inline: boolean }> {
    if (update.payload === undefined) throw new PublishError('publishUpdate needs the update with its payload', update.payloadDigest);
    const inline = update.payload.byteLength + MESSAGE_FIELDS_BYTES <= INLINE_PAYLOAD_LIMIT;
    if (!inline) this.blobs.put(update.payload, update.payloadDigest);
    const result = await this.publish('update', encodeUpdate(update, { inline }), options);
    return { ...result, inline };
  }

  publishHeartbeat(heartbeat: Heartbeat, options: SignalOption = {}): Promise<PublishResult> {
    return this.publish('heartbeat', encodeHeartbeat(heartbeat), options);
  }

  publishRoundOpen(roundOpen: RoundOpen, options: SignalOption = {}): Promise<PublishResult> {
    return this.publish('round-open', encodeRoundOpen(roundOpen), options);
  }

  publishModelAnnounce(announce: ModelAnnounce, options: SignalOption = {}): Promise<PublishResult> {
    return this.publish('model-announce', encodeModelAnnounce(announce), options);
  }

  /** Gossips an auditor's signed verdict on a committed round. */
  publishVerdict(verdict: SignedVerdict, options: SignalOption = {}): Promise<PublishResult> {
    return this.publish('verdict', encodeVerdict(verdict), options);
  }

  /** Gossips a commitment to an update, before the update itself (commit, then reveal). */
  publishCommitment(commitment: SignedCommitment, options: SignalOption = {}): Promise<PublishResult> {
    return this.publish('commitment', encodeCommitment(commitment), options);
  }

  /**
   * Fetches bytes by hash from `options.peers`, or else from connected peers, verified before
   * returned. Bootstrap peers (the hub everyone dialled first, usually the coordinator) are asked
   * last: the other peers are asked at once which of them hold it and it is fetched from one of
   * those; when none does yet, they are asked again after a short random pause and only then the
   * hub. So a new model spreads from the peers that fetched it first instead of every peer pulling
   * it from the hub at once. A hub too busy to serve (every peer wants the new model right after a
   * commit) is tried again, with the other peers first, up to HUB_PASSES times.
   */
  async fetchBlob(hash: Hex, options: Omit<FetchBlobOptions, 'peers'> & { peers?: string[] } = {}): Promise<Uint8Array> {
    return (await this.fetchBlobFrom(hash, options)).bytes;
  }

  /** `fetchBlob`, saying which peer delivered and whether it was a bootstrap hub. */
  async fetchBlobFrom(hash: Hex, options: Omit<FetchBlobOptions, 'peers'> & { peers?: string[] } = {}): Promise<FetchedBlob> {
    const exchange = this.exchange;
    if (exchange === undefined) throw new NodeNotRunningError('fetch a blob');
    const hubIds = new Set((this.options.bootstrap ?? []).map(peerOf));
    const fetched = async (fetchOptions: FetchBlobOptions): Promise<FetchedBlob> => {
      const { bytes, peer } = await exchange.fetchFrom(hash, { signal: options.signal, maxBytes: options.maxBytes, verify: options.verify, ...fetchOptions });
      return { bytes, peer: peer.toString(), hub: hubIds.has(peer.toString()) };
    };
    if (options.peers !== undefined) return fetched({ peers: options.peers.map((peer) => peerIdFromString(peer)) });
    await this.joinMesh(hubIds, options.signal);
    for (let pass = 0; ; pass++) {
      const connected = this.libp2p('fetch a blob').getPeers();
      const hubs = connected.filter((peer) => hubIds.has(peer.toString()));
      const others = connected.filter((peer) => !hubIds.has(peer.toString()));
      if (hubs.length === 0 || others.length === 0) return fetched({ peers: undefined });
      const holders = await exchange.holders(hash, others, options.signal);
      if (holders.length > 0) {
        try {
          return await fetched({ peers: shuffle(holders) });
        } catch (error) {
          if (!(error instanceof BlobFetchError)) throw error;
        }
      }
      if (pass > 0) {
        try {
          return await fetched({ peers: hubs });
        } catch (error) {
          const hubMayServeLater = error instanceof BlobFetchError && error.attempts.some((attempt) => attempt.failure === 'busy' || attempt.failure === 'timeout');
          if (!hubMayServeLater || pass >= HUB_PASSES) throw error;
        }
      }
      // Longer each time: a busy hub is serving everyone else the same blob, who then hold it.
      await sleep(HUB_FALLBACK_PAUSE_MS * (pass + 1) * (0.5 + Math.random()), undefined, { signal: options.signal });
    }
  }

  /**
   * A node that has just started holds a connection to its hub only: for at most JOIN_GRACE_MS
   * after its start it waits for discovery to connect it to another peer, so what it fetches first
   * (the current model, when it joins a running network) comes from peers, not from the hub.
   */
  private async joinMesh(hubIds: Set<string | undefined>, signal?: AbortSignal): Promise<void> {
    const until = this.startedAt + (this.options.joinGraceMs ?? JOIN_GRACE_MS);
    while (Date.now() < until) {
      const connected = this.libp2p('fetch a blob').getPeers().map((peer) => peer.toString());
      if (!connected.some((peer) => hubIds.has(peer)) || connected.some((peer) => !hubIds.has(peer))) return;
      await sleep(Math.min(250, until - Date.now()), undefined, { signal });
    }
  }

  /** Serves `bytes` by hash from now on (their SHA-256 `contentHash` unless `hash` is given). */
  putBlob(bytes: Uint8Array, hash?: Hex): Hex {
    return this.blobs.put(bytes, hash);
  }

  private async publish(kind: TopicKind, data: Uint8Array, options: SignalOption): Promise<PublishResult> {
    options.signal?.throwIfAborted();
    const pubsub = this.libp2p(`publish a ${kind}`).services.pubsub;
    try {
      const result = await pubsub.publish(this.topics[kind], data);
      return { recipients: result.recipients.length };
    } catch (error) {
      throw new PublishError(`could not publish a ${kind} of ${data.byteLength} bytes: ${(error as Error).message}`, kind, { cause: error });
    }
  }

  private async redialBootstrap(): Promise<void> {
    if (!this.running) return;
    const connected = new Set(this.connectedPeers());
    for (const address of this.options.bootstrap ?? []) {
      const peer = peerOf(address);
      if (peer !== undefined && !connected.has(peer)) await this.dial(address, { signal: this.lifetime.signal }).catch(() => undefined);
    }
  }

  /** gossipsub topic validator: never throws (a throw would silently Ignore). */
  private async validate(kind: TopicKind, propagationSource: PeerId, message: Message): Promise<TopicValidatorResult> {
    try {
      if (message.type !== 'signed') return TopicValidatorResult.Reject;
      const from = addressFromPeerKey(message.from.publicKey);
      const validateOptions = {
        from,
        signal: this.lifetime.signal,
        fetchPayload: async (digest: Hex, size: number, signal?: AbortSignal) => {
          const peers = [propagationSource.toString(), message.from.toString()].filter((peer, i, all) => all.indexOf(peer) === i);
          const bytes = await this.fetchBlob(digest, { peers, maxBytes: size, signal });
          this.blobs.put(bytes, digest);
          return bytes;
        },
      };
      const data = message.data;
      const validator = this.options.validator;
      const validateKind: Record<TopicKind, () => Promise<Verdict<object>>> = {
        update: () => validator.validateUpdate(data, validateOptions),
        heartbeat: () => validator.validateHeartbeat(data, validateOptions),
        'round-open': () => validator.validateRoundOpen(data, validateOptions),
        'model-announce': () => validator.validateModelAnnounce(data, validateOptions),
        verdict: () => validator.validateVerdict(data, validateOptions),
        commitment: () => validator.validateCommitment(data, validateOptions),
      };
      const verdict = await validateKind[kind]();
      const peer = propagationSource.toString();
      if (verdict.outcome !== 'accept') {
        const refused: RefusedEvent = { kind, outcome: verdict.outcome, reason: verdict.reason, detail: verdict.detail, peer, evidence: verdict.evidence };
        queueMicrotask(() => this.emit('refused', refused));
        return verdict.outcome === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore;
      }
      queueMicrotask(() => this.deliver(kind, verdict, message.from.toString()));
      return TopicValidatorResult.Accept;
    } catch (error) {
      // The validator itself never throws; this guards the glue around it (a bug of ours), which
      // must not penalise the sender but must stay visible.
      const refused: RefusedEvent = { kind, outcome: 'ignore', reason: 'internal_error', detail: String(error), peer: propagationSource.toString() };
      queueMicrotask(() => this.emit('refused', refused));
      return TopicValidatorResult.Ignore;
    }
  }

  private deliver(kind: TopicKind, verdict: object, peer: string): void {
    const accepted = verdict as Partial<ValidatedUpdate & { heartbeat: Heartbeat; roundOpen: RoundOpen; modelAnnounce: ModelAnnounce; verdict: SignedVerdict; commitment: SignedCommitment }>;
    if (kind === 'update' && accepted.update && accepted.delta && accepted.digest) {
      this.emit('update', { update: accepted.update, delta: accepted.delta, digest: accepted.digest, peer });
    } else if (kind === 'heartbeat' && accepted.heartbeat) {
      this.emit('heartbeat', { ...accepted.heartbeat, peer });
    } else if (kind === 'round-open' && accepted.roundOpen) {
      this.emit('round-open', { ...accepted.roundOpen, peer });
    } else if (kind === 'model-announce' && accepted.modelAnnounce) {
      this.emit('model-announce', { ...accepted.modelAnnounce, peer });
    } else if (kind === 'verdict' && accepted.verdict) {
      this.emit('verdict', { ...accepted.verdict, peer });
    } else if (kind === 'commitment' && accepted.commitment && accepted.digest) {
      this.emit('commitment', { commitment: accepted.commitment, digest: accepted.digest, peer });
    }
  }
}

/** The peer id a `/p2p/<id>` multiaddr names. */
function peerOf(address: string): string | undefined {
  return parseMultiaddr(address).getComponents().find((component) => component.name === 'p2p')?.value;
}

function parseMultiaddr(address: string): Multiaddr {
  try {
    return multiaddr(address);
  } catch (error) {
    throw new P2PConfigError(`"${address}" is not a multiaddr; write e.g. /ip4/127.0.0.1/tcp/4001/p2p/<peer id>`, address, { cause: error });
  }
}

export function createGradnetNode(options: GradnetNodeOptions): GradnetNode {
  return new GradnetNode(options);
}
