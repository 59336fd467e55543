import { assertParameters, placeLayout } from '../tensor/index.ts';
import { TrainingConfigError } from './errors.ts';
import { layoutFor, resolveModelSpec, type ModelSpec, type ModelSpecLike } from './spec.ts';
import type { Dataset } from './dataset.ts';

/**
 * The id checkpoints record for the losses this file computes. Change the arithmetic below (its
 * order, its precision, its functions) and this id must change too: auditors that implement only
 * the old one then abstain instead of judging a round they would score differently.
 */
export const REFERENCE_EVALUATOR = 'reference-v1';

export interface ReferenceLossInput {
  readonly spec: ModelSpecLike;
  readonly params: Float32Array;
  /** Images as bytes, interleaved height × width × channels (as the tfjs model reshapes them). */
  readonly data: Dataset;
  /** Evaluate only the first `limit` examples. */
  readonly limit: number;
  readonly signal?: AbortSignal;
}

/** Gives the event loop back this often, so gossip and timers in the same process keep running. */
const YIELD_EVERY_MS = 25;

/** A byte pixel as training feeds it to the model (core/ml fillBatch: byte × (1/255), stored as float32). */
const PIXEL_VALUE = Float64Array.from({ length: 256 }, (_, byte) => Math.fround(byte * (1 / 255)));

/**
 * Mean softmax cross-entropy of `params` on the first `limit` examples of `data`: the same model as
 * core/ml's tfjs one (it agrees with tfjs' evaluate to about 1e-6), computed without tfjs, so the
 * result has the same bits on every host and every tfjs backend. Auditors recompute the rewards
 * root from these losses, so they must be reproducible bit for bit:
 * - all arithmetic is float64 (+, ×, / are correctly rounded IEEE operations, and JavaScript never
 *   fuses a multiply and an add), each sum runs in one fixed order written out below, and a zero
 *   input is skipped (adding its ±0 product could not change a sum over finite weights);
 * - Math.exp and Math.log are V8's own software ports of fdlibm (src/base/ieee754.cc), not the C
 *   library's, so they return the same bits on x86-64 and arm64 for the Node 22 the project pins.
 */
export async function referenceLoss(input: ReferenceLossInput): Promise<number> {
  input.signal?.throwIfAborted();
  const spec = resolveModelSpec(input.spec);
  const layout = layoutFor(spec);
  assertParameters(layout, input.params);
  const examples = Math.min(input.limit, input.data.size);
  if (!Number.isInteger(input.limit) || input.limit < 1) throw new TrainingConfigError(`evaluation limit must be a positive integer, got ${input.limit}`, input.limit);
  if (examples === 0) throw new TrainingConfigError('the evaluation data is empty', 0);
  const bytesPerExample = input.data.images.length / input.data.size;
  const forward = spec.name === 'mlp' ? mlpForward(input.params, layout, bytesPerExample) : cnnForward(spec, input.params, layout, bytesPerExample);
  const { images, labels } = input.data;
  let lossSum = 0;
  let lastYield = performance.now();
  for (let example = 0; example < examples; example++) {
    const logits = forward(images.subarray(example * bytesPerExample, (example + 1) * bytesPerExample));
    lossSum += crossEntropy(logits, labels[example]);
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      input.signal?.throwIfAborted();
      await new Promise<void>((resolve) => setImmediate(resolve));
      input.signal?.throwIfAborted();
      lastYield = performance.now();
    }
  }
  return lossSum / examples;
}

/** −log softmax(logits)[label], as log-sum-exp shifted by the largest logit, summed in class order. */
function crossEntropy(logits: Float64Array, label: number): number {
  let largest = logits[0];
  for (let c = 1; c < logits.length; c++) if (logits[c] > largest) largest = logits[c];
  let sum = 0;
  for (let c = 0; c < logits.length; c++) sum += Math.exp(logits[c] - largest);
  return largest + Math.log(sum) - logits[label];
}

/** The layout's tensors as float64 copies, by name. */
function tensors(params: Float32Array, layout: ReturnType<typeof layoutFor>): Map<string, { values: Float64Array; shape: readonly number[] }> {
  return new Map(placeLayout(layout).map((entry) => [entry.name, { values: Float64Array.from(params.subarray(entry.offset, entry.offset + entry.size)), shape: entry.shape }]));
}

function mismatch(what: string, expected: number, bytesPerExample: number): TrainingConfigError {
  return new TrainingConfigError(
    `the evaluation data has ${bytesPerExample} bytes per example but the model's ${what} takes ${expected}; score on the dataset the model was built for`,
    bytesPerExample,
  );
}

/**
 * relu(x·W1 + b1)·W2 + b2. Each unit's sum runs over the inputs in order (zero pixels skipped),
 * then adds the bias.
 */
function mlpForward(params: Float32Array, layout: ReturnType<typeof layoutFor>, bytesPerExample: number): (image: Uint8Array) => Float64Array {
  const t = tensors(params, layout);
  const [inputs, hidden] = t.get('dense1/kernel')!.shape;
  const w1 = t.get('dense1/kernel')!.values;
  const b1 = t.get('dense1/bias')!.values;
  const w2 = t.get('dense2/kernel')!.values;
  const b2 = t.get('dense2/bias')!.values;
  const classes = b2.length;
  if (inputs !== bytesPerExample) throw mismatch('first dense layer', inputs, bytesPerExample);
  const activations = new Float64Array(hidden);
  const logits = new Float64Array(classes);
  return (image) => {
    activations.fill(0);
    for (let p = 0; p < inputs; p++) {
      const byte = image[p];
      if (byte === 0) continue;
      const x = PIXEL_VALUE[byte];
      const row = p * hidden;
      for (let j = 0; j < hidden; j++) activations[j] += x * w1[row + j];
    }
    for (let j = 0; j < hidden; j++) {
      const value = activations[j] + b1[j];
      activations[j] = value > 0 ? value : 0;
    }
    denseInto(activations, w2, b2, logits);
    return logits;
  };
}

/** logits = x·W + b, each sum over the inputs in order (zeros skipped), then the bias. */
function denseInto(x: Float64Array, w: Float64Array, b: Float64Array, logits: Float64Array): void {
  const classes = logits.length;
  logits.fill(0);
  for (let i = 0; i < x.length; i++) {
    const value = x[i];
    if (value === 0) continue;
    const row = i * classes;
    for (let c = 0; c < classes; c++) logits[c] += value * w[row + c];
  }
  for (let c = 0; c < classes; c++) logits[c] += b[c];
}

/**
 * Two blocks of valid conv → 2×2 max pool (odd last row/column dropped) → + bias → ReLU, then
 * dense, as core/ml's tfjs model computes them (pooling before bias and ReLU equals the usual order:
 * both are monotone per channel). The input is square, H = W = √(bytes per example / channels).
 */
function cnnForward(spec: Extract<ModelSpec, { name: 'cnn' }>, params: Float32Array, layout: ReturnType<typeof layoutFor>, bytesPerExample: number): (image: Uint8Array) => Float64Array {
  const t = tensors(params, layout);
  const k = spec.kernelSize;
  const conv1 = t.get('conv1/kernel')!;
  const conv2 = t.get('conv2/kernel')!;
  const dense = t.get('dense/kernel')!;
  const channels = conv1.shape[2];
  const side = Math.round(Math.sqrt(bytesPerExample / channels));
  if (side * side * channels !== bytesPerExample) throw mismatch(`first convolution (${channels} channels, square images)`, side * side * channels, bytesPerExample);
  const [first, second] = spec.filters;
  const block1 = convPoolBlock(side, channels, k, first, conv1.values, t.get('conv1/bias')!.values);
  const block2 = convPoolBlock(block1.outSide, first, k, second, conv2.values, t.get('conv2/bias')!.values);
  const features = block2.outSide * block2.outSide * second;
  if (block2.outSide < 1 || dense.shape[0] !== features) throw mismatch(`dense layer (${dense.shape[0]} features)`, side * side * channels, bytesPerExample);
  const input = new Float64Array(bytesPerExample);
  const logits = new Float64Array(dense.shape[1]);
  const denseBias = t.get('dense/bias')!.values;
  return (image) => {
    for (let p = 0; p < bytesPerExample; p++) input[p] = PIXEL_VALUE[image[p]];
    denseInto(block2.run(block1.run(input)), dense.values, denseBias, logits);
    return logits;
  };
}

/**
 * One conv (valid, stride 1) + pool + bias + ReLU block on a side×side×inChannels map. Each output
 * sums over kernel row, kernel column, input channel in that order (zero inputs skipped); only the
 * rows and columns the pool keeps are convolved.
 */
function convPoolBlock(side: number, inChannels: number, k: number, filters: number, kernel: Float64Array, bias: Float64Array): { outSide: number; run: (input: Float64Array) => Float64Array } {
  const convSide = side - k + 1;
  const kept = convSide - (convSide % 2);
  const outSide = kept / 2;
  const conv = new Float64Array(Math.max(0, kept * kept * filters));
  const out = new Float64Array(Math.max(0, outSide * outSide * filters));
  const run = (input: Float64Array): Float64Array => {
    conv.fill(0);
    for (let y = 0; y < kept; y++) {
      for (let x = 0; x < kept; x++) {
        const target = (y * kept + x) * filters;
        for (let dy = 0; dy < k; dy++) {
          for (let dx = 0; dx < k; dx++) {
            const source = ((y + dy) * side + (x + dx)) * inChannels;
            const tap = (dy * k + dx) * inChannels;
            for (let c = 0; c < inChannels; c++) {
              const value = input[source + c];
              if (value === 0) continue;
              const weights = (tap + c) * filters;
              for (let f = 0; f < filters; f++) conv[target + f] += value * kernel[weights + f];
            }
          }
        }
      }
    }
    for (let y = 0; y < outSide; y++) {
      for (let x = 0; x < outSide; x++) {
        const topLeft = (2 * y * kept + 2 * x) * filters;
        const below = kept * filters;
        for (let f = 0; f < filters; f++) {
          const a = conv[topLeft + f];
          const b = conv[topLeft + filters + f];
          const c = conv[topLeft + below + f];
          const d = conv[topLeft + below + filters + f];
          const value = Math.max(a, b, c, d) + bias[f];
          out[(y * outSide + x) * filters + f] = value > 0 ? value : 0;
        }
      }
    }
    return out;
  };
  return { outSide, run };
}
