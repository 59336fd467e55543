// AssemblyScript source of gradnet's CNN training kernels (compiled by core/kernels/compile.ts; this
// file is not TypeScript the rest of the project type-checks, hence its extension).
//
// The model (core/ml's 'cnn'): 28×28×1 image → conv k×k (valid) → 2×2 max-pool → +bias → ReLU
// → conv k×k → 2×2 max-pool → +bias → ReLU → flatten (channels last) → dense → softmax
// cross-entropy. Pooling before bias and ReLU equals the usual order (both are monotone per
// channel) and does that work on a quarter of the values, as core/ml's tfjs model does.
//
// One sample at a time goes forward and backward while its activations sit in L1. Outputs are
// vectorised four channels at a time (f32x4; channel counts are multiples of 4). Backward uses the
// pooling's sparsity: only the window's maximum receives gradient, so a conv's backward pass costs
// a quarter of a dense one and skips the channels ReLU zeroed.
//
// Pointers are byte offsets into linear memory; every buffer is f32 unless it says i32. The caller
// lays the buffers out (see core/kernels/cnn.ts) above heapBase(). Multiply-adds are
// f32x4.relaxed_madd: fused where the CPU has FMA, so results are deterministic on a given machine
// (training is not something auditors replay; see core/README.md).

import { adam, classifier, CLASSES, f32At, setF32 } from './shared';

export { adam };

const SIDE: i32 = 28;
const PIXELS: i32 = SIDE * SIDE;

/** Where the caller may start laying out buffers. */
export function heapBase(): usize {
  return (__heap_base + 15) & ~15;
}

/**
 * Valid stride-1 convolution fused with 2×2/2 max-pooling, bias and ReLU, channels last.
 * input [inSide][inSide][cin], weights [k][k][cin][cout] → out [pooled][pooled][cout] and
 * arg [pooled][pooled][cout] (i32: which pixel of the window held the maximum, 0..3 row-major;
 * the first wins a tie). Eight output channels at a time when cout allows, else four.
 */
function convPoolForward(input: usize, inSide: i32, cin: i32, weights: usize, bias: usize, cout: i32, k: i32, pooled: i32, out: usize, arg: usize): void {
  const rowBytes = <usize>(inSide * cin) << 2;
  const pixelBytes = <usize>cin << 2;
  const span = k * cin;
  const weightRowBytes = <usize>(span * cout) << 2;
  const weightStep = <usize>cout << 2;
  const zero = f32x4.splat(0);
  const one = i32x4.splat(1);
  const two = i32x4.splat(2);
  const three = i32x4.splat(3);
  for (let py = 0; py < pooled; py++) {
    for (let px = 0; px < pooled; px++) {
      const corner = input + (<usize>((2 * py * inSide + 2 * px) * cin) << 2);
      const target = <usize>((py * pooled + px) * cout) << 2;
      let g = 0;
      for (; g + 8 <= cout; g += 8) {
        let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        let b0 = zero, b1 = zero, b2 = zero, b3 = zero;
        for (let i = 0; i < k; i++) {
          const row = corner + <usize>i * rowBytes;
          let w = weights + <usize>i * weightRowBytes + (<usize>g << 2);
          for (let t = 0; t < span; t++) {
            const p = row + (<usize>t << 2);
            const wa = v128.load(w);
            const wb = v128.load(w, 16);
            const x0 = v128.load32_splat(p);
            const x1 = v128.load32_splat(p + pixelBytes);
            const x2 = v128.load32_splat(p + rowBytes);
            const x3 = v128.load32_splat(p + rowBytes + pixelBytes);
            a0 = f32x4.relaxed_madd(x0, wa, a0);
            b0 = f32x4.relaxed_madd(x0, wb, b0);
            a1 = f32x4.relaxed_madd(x1, wa, a1);
            b1 = f32x4.relaxed_madd(x1, wb, b1);
            a2 = f32x4.relaxed_madd(x2, wa, a2);
            b2 = f32x4.relaxed_madd(x2, wb, b2);
            a3 = f32x4.relaxed_madd(x3, wa, a3);
            b3 = f32x4.relaxed_madd(x3, wb, b3);
            w += weightStep;
          }
        }
        poolStore(a0, a1, a2, a3, bias + (<usize>g << 2), out + target + (<usize>g << 2), arg + target + (<usize>g << 2), zero, one, two, three);
        poolStore(b0, b1, b2, b3, bias + (<usize>(g + 4) << 2), out + target + (<usize>(g + 4) << 2), arg + target + (<usize>(g + 4) << 2), zero, one, two, three);
      }
      for (; g < cout; g += 4) {
        let a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (let i = 0; i < k; i++) {
          const row = corner + <usize>i * rowBytes;
          let w = weights + <usize>i * weightRowBytes + (<usize>g << 2);
          for (let t = 0; t < span; t++) {
            const p = row + (<usize>t << 2);
            const wa = v128.load(w);
            a0 = f32x4.relaxed_madd(v128.load32_splat(p), wa, a0);
            a1 = f32x4.relaxed_madd(v128.load32_splat(p + pixelBytes), wa, a1);
            a2 = f32x4.relaxed_madd(v128.load32_splat(p + rowBytes), wa, a2);
            a3 = f32x4.relaxed_madd(v128.load32_splat(p + rowBytes + pixelBytes), wa, a3);
            w += weightStep;
          }
        }
        poolStore(a0, a1, a2, a3, bias + (<usize>g << 2), out + target + (<usize>g << 2), arg + target + (<usize>g << 2), zero, one, two, three);
      }
    }
  }
}

/** Max of a window's four pixels (first wins a tie), then bias and ReLU; stores value and argmax. */
// @ts-ignore: decorator
@inline
function poolStore(p0: v128, p1: v128, p2: v128, p3: v128, bias: usize, out: usize, arg: usize, zero: v128, one: v128, two: v128, three: v128): void {
  let max = p0;
  let at = i32x4.splat(0);
  let wins = f32x4.gt(p1, max);
  max = v128.bitselect(p1, max, wins);
  at = v128.bitselect(one, at, wins);
  wins = f32x4.gt(p2, max);
  max = v128.bitselect(p2, max, wins);
  at = v128.bitselect(two, at, wins);
  wins = f32x4.gt(p3, max);
  max = v128.bitselect(p3, max, wins);
  at = v128.bitselect(three, at, wins);
  v128.store(out, f32x4.max(f32x4.add(max, v128.load(bias)), zero));
  v128.store(arg, at);
}

/** Floats of one filter row (k·cin) rounded up to whole f32x4: the layout of dwT and wT rows. */
// @ts-ignore: decorator
@inline
function paddedSpan(k: i32, cin: i32): i32 {
  return (k * cin + 3) & ~3;
}

/**
 * The backward pass of convPoolForward for a pooled gradient `gout` already masked by ReLU: each
 * non-zero g goes to the window's argmax pixel only, adding g·patch to dwT [cout][k][padded span]
 * and, when gin is not 0, g·wT[o] to gin [inSide][inSide][cin] (wT laid out like dwT, zero in
 * its pad lanes, so the pad adds nothing to gin). Rows are whole vectors: the pad lanes of dwT
 * collect products with the pixels right of the patch and are never read.
 *
 * The non-zero entries are first listed per output channel without branching (ReLU zeroes about
 * half, at random, which a branch would mispredict). A channel's filter gradient is then summed
 * over its entries in registers, five vectors of a row at a time, and stored once. `list` holds
 * 2 words per pooled output and cout + 1 more.
 */
function convPoolBackward(input: usize, inSide: i32, cin: i32, wT: usize, cout: i32, k: i32, pooled: i32, gout: usize, arg: usize, dwT: usize, gin: usize, list: usize): void {
  const vectors = paddedSpan(k, cin) >> 2;
  const rowBytes = <usize>(inSide * cin) << 2;
  const paddedRowBytes = <usize>vectors << 4;
  const filterBytes = <usize>k * paddedRowBytes;
  const starts = list + (<usize>(pooled * pooled * cout) << 3);
  let count = 0;
  for (let o = 0; o < cout; o++) {
    store<i32>(starts + (<usize>o << 2), count);
    for (let py = 0; py < pooled; py++) {
      for (let px = 0; px < pooled; px++) {
        const index = (py * pooled + px) * cout + o;
        const g = f32At(gout, index);
        const at = load<i32>(arg + (<usize>index << 2));
        const entry = list + (<usize>count << 3);
        store<u32>(entry, <u32>(((2 * py + (at >> 1)) * inSide + 2 * px + (at & 1)) * cin) << 2);
        store<f32>(entry, g, 4);
        count += i32(g != 0);
      }
    }
  }
  store<i32>(starts + (<usize>cout << 2), count);
  for (let o = 0; o < cout; o++) {
    const first = load<i32>(starts + (<usize>o << 2));
    const last = load<i32>(starts + (<usize>(o + 1) << 2));
    let dw = dwT + <usize>o * filterBytes;
    for (let i = 0; i < k; i++) {
      const rowOffset = <usize>i * rowBytes;
      let v = 0;
      for (; v + 5 <= vectors; v += 5) {
        let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0;
        const column = rowOffset + (<usize>v << 4);
        for (let e = first; e < last; e++) {
          const entry = list + (<usize>e << 3);
          const p = input + <usize>load<u32>(entry) + column;
          const g = v128.load32_splat(entry, 4);
          s0 = f32x4.relaxed_madd(g, v128.load(p), s0);
          s1 = f32x4.relaxed_madd(g, v128.load(p, 16), s1);
          s2 = f32x4.relaxed_madd(g, v128.load(p, 32), s2);
          s3 = f32x4.relaxed_madd(g, v128.load(p, 48), s3);
          s4 = f32x4.relaxed_madd(g, v128.load(p, 64), s4);
        }
        const d = dw + (<usize>v << 4);
        v128.store(d, f32x4.add(v128.load(d), s0));
        v128.store(d, f32x4.add(v128.load(d, 16), s1), 16);
        v128.store(d, f32x4.add(v128.load(d, 32), s2), 32);
        v128.store(d, f32x4.add(v128.load(d, 48), s3), 48);
        v128.store(d, f32x4.add(v128.load(d, 64), s4), 64);
      }
      for (; v < vectors; v++) {
        let s0 = f32x4.splat(0);
        const column = rowOffset + (<usize>v << 4);
        for (let e = first; e < last; e++) {
          const entry = list + (<usize>e << 3);
          s0 = f32x4.relaxed_madd(v128.load32_splat(entry, 4), v128.load(input + <usize>load<u32>(entry) + column), s0);
        }
        const d = dw + (<usize>v << 4);
        v128.store(d, f32x4.add(v128.load(d), s0));
      }
      dw += paddedRowBytes;
    }
    if (gin == 0) continue;
    const w = wT + <usize>o * filterBytes;
    for (let e = first; e < last; e++) {
      const entry = list + (<usize>e << 3);
      const gv = v128.load32_splat(entry, 4);
      let gp = gin + <usize>load<u32>(entry);
      let wr = w;
      for (let i = 0; i < k; i++) {
        for (let b: usize = 0; b < paddedRowBytes; b += 16) {
          v128.store(gp + b, f32x4.relaxed_madd(gv, v128.load(wr + b), v128.load(gp + b)));
        }
        gp += rowBytes;
        wr += paddedRowBytes;
      }
    }
  }
}

/**
 * convPoolBackward's filter gradient for the first layer when k is 5 (the default): one input
 * channel, so each filter row is 5 floats, held as two f32x4 (the second's last three lanes
 * collect products with the pixels right of the patch and are never read). A channel's whole
 * filter gradient stays in ten registers while every pooled output of that channel is visited,
 * instead of ten loads and stores per output; a zero gradient (ReLU) adds zeros, without a branch.
 */
function firstLayerFilterGradient5(image: usize, cout: i32, pooled: i32, gout: usize, arg: usize, dwT: usize): void {
  const rowBytes: usize = SIDE << 2;
  for (let o = 0; o < cout; o++) {
    let r0 = f32x4.splat(0), s0 = r0, r1 = r0, s1 = r0, r2 = r0, s2 = r0, r3 = r0, s3 = r0, r4 = r0, s4 = r0;
    for (let py = 0; py < pooled; py++) {
      for (let px = 0; px < pooled; px++) {
        const index = (py * pooled + px) * cout + o;
        const g = f32x4.splat(f32At(gout, index));
        const at = load<i32>(arg + (<usize>index << 2));
        const p = image + (<usize>((2 * py + (at >> 1)) * SIDE + 2 * px + (at & 1)) << 2);
        r0 = f32x4.relaxed_madd(g, v128.load(p), r0);
        s0 = f32x4.relaxed_madd(g, v128.load(p, 16), s0);
        r1 = f32x4.relaxed_madd(g, v128.load(p + rowBytes), r1);
        s1 = f32x4.relaxed_madd(g, v128.load(p + rowBytes, 16), s1);
        r2 = f32x4.relaxed_madd(g, v128.load(p + 2 * rowBytes), r2);
        s2 = f32x4.relaxed_madd(g, v128.load(p + 2 * rowBytes, 16), s2);
        r3 = f32x4.relaxed_madd(g, v128.load(p + 3 * rowBytes), r3);
        s3 = f32x4.relaxed_madd(g, v128.load(p + 3 * rowBytes, 16), s3);
        r4 = f32x4.relaxed_madd(g, v128.load(p + 4 * rowBytes), r4);
        s4 = f32x4.relaxed_madd(g, v128.load(p + 4 * rowBytes, 16), s4);
      }
    }
    const dw = dwT + (<usize>(o * 40) << 2);
    v128.store(dw, f32x4.add(v128.load(dw), r0));
    v128.store(dw, f32x4.add(v128.load(dw, 16), s0), 16);
    v128.store(dw, f32x4.add(v128.load(dw, 32), r1), 32);
    v128.store(dw, f32x4.add(v128.load(dw, 48), s1), 48);
    v128.store(dw, f32x4.add(v128.load(dw, 64), r2), 64);
    v128.store(dw, f32x4.add(v128.load(dw, 80), s2), 80);
    v128.store(dw, f32x4.add(v128.load(dw, 96), r3), 96);
    v128.store(dw, f32x4.add(v128.load(dw, 112), s3), 112);
    v128.store(dw, f32x4.add(v128.load(dw, 128), r4), 128);
    v128.store(dw, f32x4.add(v128.load(dw, 144), s4), 144);
  }
}

/** weights [k][k·cin][cout] ↔ padded [cout][k][paddedSpan]: toPadded chooses the direction; pad lanes are left alone. */
function repack(weights: usize, padded: usize, k: i32, cin: i32, cout: i32, toPadded: bool): void {
  const span = k * cin;
  const row = paddedSpan(k, cin);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < k; i++) {
      for (let t = 0; t < span; t++) {
        const plain = (i * span + t) * cout + o;
        const pad = (o * k + i) * row + t;
        if (toPadded) setF32(padded, pad, f32At(weights, plain));
        else setF32(weights, plain, f32At(padded, pad));
      }
    }
  }
}

/** Multiplies a gradient by the ReLU's derivative (1 where the activation is positive) and adds it up per channel into `bias`. */
function reluBackward(activation: usize, gradient: usize, count: i32, channels: i32, bias: usize): void {
  const zero = f32x4.splat(0);
  for (let start = 0; start < count; start += channels) {
    for (let c = 0; c < channels; c += 4) {
      const at = <usize>(start + c) << 2;
      const g = v128.and(v128.load(gradient + at), f32x4.gt(v128.load(activation + at), zero));
      v128.store(gradient + at, g);
      v128.store(bias + (<usize>c << 2), f32x4.add(v128.load(bias + (<usize>c << 2)), g));
    }
  }
}

/** Floats of scratch memory gradient() needs for a kernel size and filter counts (its layout is in gradient). */
export function scratchFloats(k: i32, f1: i32, f2: i32): i32 {
  const p1 = (SIDE - k + 1) >> 1;
  const p2 = (p1 - k + 1) >> 1;
  const map1 = p1 * p1 * f1 + 4;
  const map2 = p2 * p2 * f2 + 4;
  return 2 * f2 * k * paddedSpan(k, f1) + f1 * k * paddedSpan(k, 1) + 3 * map1 + 3 * map2 + 32 + 2 * max(map1, map2) + max(f1, f2) + 1;
}

/** Parameters of the model: conv1 kernel and bias, conv2 kernel and bias, dense kernel and bias. */
export function parameterCount(k: i32, f1: i32, f2: i32): i32 {
  const p1 = (SIDE - k + 1) >> 1;
  const p2 = (p1 - k + 1) >> 1;
  return k * k * f1 + f1 + k * k * f1 * f2 + f2 + p2 * p2 * f2 * CLASSES + CLASSES;
}

/**
 * The gradient of the mean softmax cross-entropy over `batch` images (pixels: f32 [batch][784]
 * in [0, 1], labels: i32 [batch]) with respect to `params`, written to `grads` in the same layout
 * (core/ml's layoutFor). Returns the mean loss.
 */
export function gradient(batch: i32, k: i32, f1: i32, f2: i32, params: usize, grads: usize, pixels: usize, labels: usize, scratch: usize): f64 {
  const p1 = (SIDE - k + 1) >> 1;
  const p2 = (p1 - k + 1) >> 1;
  const taps1 = k * k;
  const taps2 = k * k * f1;
  const flat = p2 * p2 * f2;
  // Parameter offsets (bytes), in layout order.
  const w1 = params;
  const b1 = w1 + (<usize>(taps1 * f1) << 2);
  const w2 = b1 + (<usize>f1 << 2);
  const b2 = w2 + (<usize>(taps2 * f2) << 2);
  const wd = b2 + (<usize>f2 << 2);
  const bd = wd + (<usize>(flat * CLASSES) << 2);
  const gw1 = grads;
  const gb1 = gw1 + (<usize>(taps1 * f1) << 2);
  const gw2 = gb1 + (<usize>f1 << 2);
  const gb2 = gw2 + (<usize>(taps2 * f2) << 2);
  const gwd = gb2 + (<usize>f2 << 2);
  const gbd = gwd + (<usize>(flat * CLASSES) << 2);
  // Scratch (bytes), sized by scratchFloats; activation maps get 4 floats of slack for whole-vector rows.
  const filter2Bytes = <usize>(f2 * k * paddedSpan(k, f1)) << 2;
  const map1Bytes = <usize>(p1 * p1 * f1 + 4) << 2;
  const map2Bytes = <usize>(flat + 4) << 2;
  const w2T = scratch;
  const dw2T = w2T + filter2Bytes;
  const dw1T = dw2T + filter2Bytes;
  const a1 = dw1T + (<usize>(f1 * k * paddedSpan(k, 1)) << 2);
  const arg1 = a1 + map1Bytes;
  const ga1 = arg1 + map1Bytes;
  const a2 = ga1 + map1Bytes;
  const arg2 = a2 + map2Bytes;
  const ga2 = arg2 + map2Bytes;
  const logits = ga2 + map2Bytes;
  const list = logits + 128;

  memory.fill(grads, 0, <usize>parameterCount(k, f1, f2) << 2);
  memory.fill(scratch, 0, a1 - scratch);
  repack(w2, w2T, k, f1, f2, true);
  const inverseBatch = <f32>1 / <f32>batch;
  let lossSum: f64 = 0;

  for (let b = 0; b < batch; b++) {
    const image = pixels + (<usize>(b * PIXELS) << 2);
    convPoolForward(image, SIDE, 1, w1, b1, f1, k, p1, a1, arg1);
    convPoolForward(a1, p1, f1, w2, b2, f2, k, p2, a2, arg2);

    lossSum += <f64>classifier(a2, flat, wd, bd, gwd, gbd, ga2, load<i32>(labels + (<usize>b << 2)), inverseBatch, logits);
    for (let q = 0; q < flat; q += f2) {
      for (let c = 0; c < f2; c += 4) {
        const at = <usize>c << 2;
        v128.store(gb2 + at, f32x4.add(v128.load(gb2 + at), v128.load(ga2 + (<usize>(q + c) << 2))));
      }
    }

    memory.fill(ga1, 0, <usize>(p1 * p1 * f1) << 2);
    convPoolBackward(a1, p1, f1, w2T, f2, k, p2, ga2, arg2, dw2T, ga1, list);
    reluBackward(a1, ga1, p1 * p1 * f1, f1, gb1);
    if (k == 5) firstLayerFilterGradient5(image, f1, p1, ga1, arg1, dw1T);
    else convPoolBackward(image, SIDE, 1, 0, f1, k, p1, ga1, arg1, dw1T, 0, list);
  }

  repack(gw2, dw2T, k, f1, f2, false);
  repack(gw1, dw1T, k, 1, f1, false);
  return lossSum / <f64>batch;
}
