import { keccak256, toBytes } from 'viem';

/** Seeds are numbers or strings so that operators can write either in a config file. */
export type Seed = number | string;

/**
 * A small seeded generator (sfc32) whose stream depends only on the seed and the purpose labels:
 * every machine draws the same numbers, unlike Math.random or tfjs initializers.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `purpose` separates streams drawn from one seed (e.g. "init", "conv1/kernel"). */
  constructor(seed: Seed, ...purpose: (string | number)[]) {
    const digest = toBytes(keccak256(toBytes(`gradnet/rng/${JSON.stringify([String(seed), ...purpose.map(String)])}`)));
    const words = new DataView(digest.buffer, digest.byteOffset, 16);
    this.a = words.getUint32(0, true);
    this.b = words.getUint32(4, true);
    this.c = words.getUint32(8, true);
    this.d = words.getUint32(12, true);
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** Fisher–Yates in place. */
  shuffle<T extends { length: number; [i: number]: number }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const swap = values[i];
      values[i] = values[j];
      values[j] = swap;
    }
    return values;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Gamma(shape, 1) by Marsaglia–Tsang, boosted for shape < 1. */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(1 - this.next(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.next();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** A draw from the symmetric Dirichlet(alpha) over `k` categories. */
  dirichlet(alpha: number, k: number): number[] {
    const draws = Array.from({ length: k }, () => this.gamma(alpha));
    const total = draws.reduce((sum, x) => sum + x, 0);
    return total > 0 ? draws.map((x) => x / total) : draws.map(() => 1 / k);
  }
}

/** 0, 1, …, n-1 in the order of a seeded shuffle. */
export function seededPermutation(n: number, random: SeededRandom): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return random.shuffle(order);
}
