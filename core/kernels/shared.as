// AssemblyScript shared by the model kernels (compiled into each of them by core/kernels/compile.ts):
// memory helpers, the 10-class output layer with softmax cross-entropy, and Adam.

export const CLASSES: i32 = 10;

// @ts-ignore: decorator
@inline
export function f32At(base: usize, index: i32): f32 {
  return load<f32>(base + (<usize>index << 2));
}

// @ts-ignore: decorator
@inline
export function setF32(base: usize, index: i32, value: f32): void {
  store<f32>(base + (<usize>index << 2), value);
}

/**
 * The output layer of one example and its backward pass: logits = a·w + b over `count` inputs
 * (w [count][10]), softmax cross-entropy against `label`, gradients of the batch mean (scaled by
 * inverseBatch) added to gw and gb, and gin = the gradient with respect to a, zero where a is zero
 * (the ReLU before this layer passes no gradient there). A row of w is 10 floats, two f32x4 and a
 * half (load64_zero / store64_lane), so no lane reaches into the next row. `scratch` holds 32
 * floats. Returns the example's loss.
 */
export function classifier(a: usize, count: i32, w: usize, b: usize, gw: usize, gb: usize, gin: usize, label: i32, inverseBatch: f32, scratch: usize): f32 {
  const logits = scratch;
  const delta = scratch + 64;
  let l0 = v128.load(b);
  let l1 = v128.load(b, 16);
  let l2 = v128.load64_zero(b, 32);
  for (let q = 0; q < count; q++) {
    const x = v128.load32_splat(a + (<usize>q << 2));
    const row = w + (<usize>(q * CLASSES) << 2);
    l0 = f32x4.relaxed_madd(x, v128.load(row), l0);
    l1 = f32x4.relaxed_madd(x, v128.load(row, 16), l1);
    l2 = f32x4.relaxed_madd(x, v128.load64_zero(row, 32), l2);
  }
  v128.store(logits, l0);
  v128.store(logits, l1, 16);
  v128.store(logits, l2, 32);
  let top = f32At(logits, 0);
  for (let j = 1; j < CLASSES; j++) top = max(top, f32At(logits, j));
  let total: f32 = 0;
  for (let j = 0; j < CLASSES; j++) {
    const e = Mathf.exp(f32At(logits, j) - top);
    setF32(delta, j, e);
    total += e;
  }
  const loss = Mathf.log(total) + top - f32At(logits, label);
  const scale = inverseBatch / total;
  for (let j = 0; j < CLASSES; j++) {
    const g = f32At(delta, j) * scale - (j == label ? inverseBatch : <f32>0);
    setF32(delta, j, g);
    setF32(gb, j, f32At(gb, j) + g);
  }
  const d0 = v128.load(delta);
  const d1 = v128.load(delta, 16);
  const d2 = v128.load64_zero(delta, 32);
  const zero = f32x4.splat(0);
  for (let q = 0; q < count; q++) {
    const x = v128.load32_splat(a + (<usize>q << 2));
    const row = w + (<usize>(q * CLASSES) << 2);
    const grow = gw + (<usize>(q * CLASSES) << 2);
    v128.store(grow, f32x4.relaxed_madd(x, d0, v128.load(grow)));
    v128.store(grow, f32x4.relaxed_madd(x, d1, v128.load(grow, 16)), 16);
    v128.store64_lane(grow, f32x4.relaxed_madd(x, d2, v128.load64_zero(grow, 32)), 0, 32);
    const dot = f32x4.relaxed_madd(v128.load(row), d0, f32x4.relaxed_madd(v128.load(row, 16), d1, f32x4.mul(v128.load64_zero(row, 32), d2)));
    const back = f32x4.extract_lane(dot, 0) + f32x4.extract_lane(dot, 1) + (f32x4.extract_lane(dot, 2) + f32x4.extract_lane(dot, 3));
    setF32(gin, q, v128.any_true(f32x4.gt(x, zero)) ? back : <f32>0);
  }
  return loss;
}

/**
 * One Adam step on n parameters, in tfjs's order of float32 operations (tf.train.adam):
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε).
 * accBeta1 and accBeta2 are β1ᵗ and β2ᵗ for this step.
 */
export function adam(n: i32, params: usize, grads: usize, m: usize, v: usize, learningRate: f32, beta1: f32, beta2: f32, epsilon: f32, accBeta1: f32, accBeta2: f32): void {
  const oneMinusBeta1: f32 = 1 - beta1;
  const oneMinusBeta2: f32 = 1 - beta2;
  const correction1: f32 = 1 - accBeta1;
  const correction2: f32 = 1 - accBeta2;
  for (let i = 0; i < n; i++) {
    const g = f32At(grads, i);
    const first = f32At(m, i) * beta1 + g * oneMinusBeta1;
    const second = f32At(v, i) * beta2 + g * g * oneMinusBeta2;
    setF32(m, i, first);
    setF32(v, i, second);
    const corrected1 = first / correction1;
    const corrected2 = second / correction2;
    setF32(params, i, (corrected1 / (Mathf.sqrt(corrected2) + epsilon)) * -learningRate + f32At(params, i));
  }
}
