import { assertDataset, NUM_CLASSES, selectExamples, type Dataset } from './dataset.ts';
import { ShardError } from './errors.ts';
import { SeededRandom, seededPermutation, type Seed } from './random.ts';

export type ShardScheme = 'iid' | 'dirichlet';
export const DEFAULT_DIRICHLET_ALPHA = 0.5;

export interface PartitionOptions {
  readonly seed: Seed;
  /** How many shards to cut. */
  readonly peers: number;
  readonly scheme: ShardScheme;
  /** Dirichlet concentration over labels; small = very skewed shards (default 0.5). */
  readonly alpha?: number;
}

export interface ShardOptions extends Omit<PartitionOptions, 'peers'> {
  /** The training split to cut (never the validation or test split). */
  readonly data: Dataset;
  /**
   * A number of peers, or the node keys of all peers: with a list, a `nodeKey`'s shard is its
   * position in the sorted list, so shards stay disjoint without anyone handing out indices.
   */
  readonly peers: number | readonly string[];
  readonly index?: number;
  readonly nodeKey?: string;
}

/**
 * Example indices of every shard. IID: one seeded permutation cut into near-equal parts.
 * Dirichlet: per class, proportions drawn from Dir(alpha) over peers split that class's shuffled
 * examples. Either way the shards are disjoint and together hold every example exactly once.
 */
export function partitionIndices(labels: Uint8Array, options: PartitionOptions): Uint32Array[] {
  const { peers, scheme } = options;
  if (!Number.isInteger(peers) || peers < 1 || peers > labels.length) {
    throw new ShardError(`peers must be an integer in [1, ${labels.length}], got ${peers}`, peers);
  }
  if (scheme === 'iid') {
    const order = seededPermutation(labels.length, new SeededRandom(options.seed, 'shard/iid'));
    return Array.from({ length: peers }, (_, p) =>
      order.slice(Math.floor((p * labels.length) / peers), Math.floor(((p + 1) * labels.length) / peers)),
    );
  }
  if (scheme === 'dirichlet') {
    const alpha = options.alpha ?? DEFAULT_DIRICHLET_ALPHA;
    if (!(alpha > 0) || !Number.isFinite(alpha)) throw new ShardError(`Dirichlet alpha must be a positive number, got ${alpha}`, alpha);
    const random = new SeededRandom(options.seed, 'shard/dirichlet', alpha);
    const shards: number[][] = Array.from({ length: peers }, () => []);
    for (let label = 0; label < NUM_CLASSES; label++) {
      const members: number[] = [];
      for (let i = 0; i < labels.length; i++) if (labels[i] === label) members.push(i);
      random.shuffle(members);
      const proportions = random.dirichlet(alpha, peers);
      let start = 0;
      let cumulative = 0;
      for (let p = 0; p < peers; p++) {
        cumulative += proportions[p];
        const end = p === peers - 1 ? members.length : Math.min(members.length, Math.round(cumulative * members.length));
        for (let i = start; i < end; i++) shards[p].push(members[i]);
        start = Math.max(start, end);
      }
    }
    return shards.map((shard) => Uint32Array.from(shard).sort());
  }
  throw new ShardError(`unknown sharding scheme "${scheme as string}"; use "iid" or "dirichlet"`, scheme);
}

/** Which shard a node takes: an explicit index, its place among the known peers, or a hash of its key. */
export function shardIndexOf(options: Pick<ShardOptions, 'seed' | 'peers' | 'index' | 'nodeKey'>): number {
  const count = typeof options.peers === 'number' ? options.peers : options.peers.length;
  if (options.index !== undefined) {
    if (!Number.isInteger(options.index) || options.index < 0 || options.index >= count) {
      throw new ShardError(`shard index must be an integer in [0, ${count}), got ${options.index}`, options.index);
    }
    return options.index;
  }
  if (options.nodeKey === undefined) throw new ShardError('give either a shard index or a nodeKey', options);
  const key = options.nodeKey.toLowerCase();
  if (typeof options.peers !== 'number') {
    const position = [...new Set(options.peers.map((peer) => peer.toLowerCase()))].sort().indexOf(key);
    if (position < 0) throw new ShardError(`node key ${options.nodeKey} is not among the ${count} peers given`, options.nodeKey);
    return position;
  }
  // Without the peer list, hashing is the only fair assignment; two nodes may then share a shard.
  return new SeededRandom(options.seed, 'shard/node', key).int(count);
}

/** The deterministic shard of the training data that a node trains on. */
export function shardFor(options: ShardOptions): Dataset {
  assertDataset(options.data, 'shard source');
  const count = typeof options.peers === 'number' ? options.peers : new Set(options.peers.map((peer) => peer.toLowerCase())).size;
  const index = shardIndexOf(options);
  const shards = partitionIndices(options.data.labels, { seed: options.seed, peers: count, scheme: options.scheme, alpha: options.alpha });
  return selectExamples(options.data, shards[index]);
}
