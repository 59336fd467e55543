import type { Hex } from 'viem';
import type { AggregationUpdate } from '../../../core/aggregate/index.ts';
import { seededRandom } from '../../support/random.ts';

/** Standard normal samples from a seeded generator (Box–Muller). */
export function gaussianSource(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(random() || Number.MIN_VALUE)) * Math.cos(2 * Math.PI * random());
}

export function randomVector(length: number, next: () => number, scale = 1): Float32Array {
  return Float32Array.from({ length }, () => next() * scale);
}

export function digestOf(i: number): Hex {
  // Scrambled so digest order differs from creation order.
  return `0x${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}${i.toString(16).padStart(4, '0')}`;
}

export function asUpdates(deltas: readonly Float32Array[], samples: (i: number) => number = () => 100): AggregationUpdate[] {
  return deltas.map((delta, i) => ({ digest: digestOf(i), delta, samples: samples(i) }));
}

/** Fisher–Yates with a seeded generator. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

export function bytesOf(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

export function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s / (norm(a) * norm(b));
}
