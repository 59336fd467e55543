import { assertParameters, placeLayout } from '../tensor/index.ts';
import { inputSize, type Dataset, type InputShape } from './dataset.ts';
import { TrainingConfigError } from './errors.ts';
import { assertDatasetFits, inputShapeOf, layoutFor, resolveModelSpec, type ModelSpec, type ModelSpecLike } from './spec.ts';

/**
 * The id checkpoints record for the losses this file computes. Change the arithmetic below (its
 * order, its precision, its functions) and this id must change too: auditors that implement only
 * the old one then abstain instead of judging a round they would score differently.
 */
export const REFERENCE_EVALUATOR = 'reference-v1';

export interface ReferenceLossInput {
  readonly spec: ModelSpecLike;
  readonly params: Float32Array;
  /** Examples as bytes, height × width × channels, channels last (as the tfjs model reshapes them); what the model was built for. */
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
  assertDatasetFits(spec, input.data, 'the scoring data');
  const examples = Math.min(input.limit, input.data.size);
  if (!Number.isInteger(input.limit) || input.limit < 1) throw new TrainingConfigError(`evaluation limit must be a positive integer, got ${input.limit}`, input.limit);
  if (examples === 0) throw new TrainingConfigError('the evaluation data is empty', 0);
  const shape = inputShapeOf(spec);
  const bytesPerExample = inputSize(shape);
  const forward = spec.name === 'mlp' ? mlpForward(input.params, layout) : cnnForward(spec, input.params, layout, shape);
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

/**
 * relu(x·W1 + b1)·W2 + b2. Each unit's sum runs over the inputs in order (zero pixels skipped),
 * then adds the bias.
 */
function mlpForward(params: Float32Array, layout: ReturnType<typeof layoutFor>): (image: Uint8Array) => Float64Array {
  const t = tensors(params, layout);
  const [inputs, hidden] = t.get('dense1/kernel')!.shape;
  const w1 = t.get('dense1/kernel')!.values;
  const b1 = t.get('dense1/bias')!.values;
  const w2 = t.get('dense2/kernel')!.values;
  const b2 = t.get('dense2/bias')!.values;
  const classes = b2.length;
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
 * both are monotone per channel).
 */
function cnnForward(spec: Extract<ModelSpec, { name: 'cnn' }>, params: Float32Array, layout: ReturnType<typeof layoutFor>, shape: InputShape): (image: Uint8Array) => Float64Array {
  const t = tensors(params, layout);
  const k = spec.kernelSize;
  const [first, second] = spec.filters;
  const block1 = convPoolBlock({ height: shape.height, width: shape.width, channels: shape.channels }, k, first, t.get('conv1/kernel')!.values, t.get('conv1/bias')!.values);
  const block2 = convPoolBlock({ height: block1.outHeight, width: block1.outWidth, channels: first }, k, second, t.get('conv2/kernel')!.values, t.get('conv2/bias')!.values);
  const dense = t.get('dense/kernel')!.values;
  const denseBias = t.get('dense/bias')!.values;
  const input = new Float64Array(inputSize(shape));
  const logits = new Float64Array(denseBias.length);
  return (image) => {
    for (let p = 0; p < input.length; p++) input[p] = PIXEL_VALUE[image[p]];
    denseInto(block2.run(block1.run(input)), dense, denseBias, logits);
    return logits;
  };
}

/** Filters convolved together, each into a local accumulator (loads of the patch shared, no stores per tap). */
const FILTER_BLOCK = 4;

/**
 * One conv (valid, stride 1) + pool + bias + ReLU block on a height×width×channels map (channels
 * last). Each output sums over kernel row, kernel column, input channel in that order (zero inputs
 * skipped); only the rows and columns the pool keeps are convolved.
 */
function convPoolBlock(
  map: InputShape,
  k: number,
  filters: number,
  kernel: Float64Array,
  bias: Float64Array,
): { outHeight: number; outWidth: number; run: (input: Float64Array) => Float64Array } {
  const { width, channels: inChannels } = map;
  // The conv rows and columns the pool keeps: an odd last one is dropped.
  const keptRows = 2 * Math.floor((map.height - k + 1) / 2);
  const keptColumns = 2 * Math.floor((width - k + 1) / 2);
  const outHeight = keptRows / 2;
  const outWidth = keptColumns / 2;
  // A tap is (kernel row, kernel column, input channel), numbered in that order as the kernel is laid out.
  const taps = k * k * inChannels;
  const tapOffset = new Int32Array(taps);
  for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) for (let c = 0; c < inChannels; c++) tapOffset[(dy * k + dx) * inChannels + c] = (dy * width + dx) * inChannels + c;
  // The kernel regrouped by block of filters, tap by tap (the filters past the last one weigh 0 and are never stored).
  const blocks = Math.ceil(filters / FILTER_BLOCK);
  const packed = new Float64Array(blocks * taps * FILTER_BLOCK);
  for (let t = 0; t < taps; t++) {
    for (let f = 0; f < filters; f++) packed[(Math.floor(f / FILTER_BLOCK) * taps + t) * FILTER_BLOCK + (f % FILTER_BLOCK)] = kernel[t * filters + f];
  }
  const patchTaps = new Int32Array(taps);
  const patchValues = new Float64Array(taps);
  const conv = new Float64Array(keptRows * keptColumns * filters);
  const out = new Float64Array(outHeight * outWidth * filters);
  const run = (input: Float64Array): Float64Array => {
    for (let y = 0; y < keptRows; y++) {
      for (let x = 0; x < keptColumns; x++) {
        // The patch's non-zero inputs, in tap order.
        const source = (y * width + x) * inChannels;
        let nonZero = 0;
        for (let t = 0; t < taps; t++) {
          const value = input[source + tapOffset[t]];
          if (value === 0) continue;
          patchTaps[nonZero] = t * FILTER_BLOCK;
          patchValues[nonZero++] = value;
        }
        const target = (y * keptColumns + x) * filters;
        for (let block = 0; block < blocks; block++) {
          const weights = block * taps * FILTER_BLOCK;
          let a0 = 0;
          let a1 = 0;
          let a2 = 0;
          let a3 = 0;
          for (let i = 0; i < nonZero; i++) {
            const value = patchValues[i];
            const w = weights + patchTaps[i];
            a0 += value * packed[w];
            a1 += value * packed[w + 1];
            a2 += value * packed[w + 2];
            a3 += value * packed[w + 3];
          }
          const first = block * FILTER_BLOCK;
          conv[target + first] = a0;
          if (first + 1 < filters) conv[target + first + 1] = a1;
          if (first + 2 < filters) conv[target + first + 2] = a2;
          if (first + 3 < filters) conv[target + first + 3] = a3;
        }
      }
    }
    const below = keptColumns * filters;
    for (let y = 0; y < outHeight; y++) {
      for (let x = 0; x < outWidth; x++) {
        const topLeft = (2 * y * keptColumns + 2 * x) * filters;
        for (let f = 0; f < filters; f++) {
          const a = conv[topLeft + f];
          const b = conv[topLeft + filters + f];
          const c = conv[topLeft + below + f];
          const d = conv[topLeft + below + filters + f];
          const value = Math.max(a, b, c, d) + bias[f];
          out[(y * outWidth + x) * filters + f] = value > 0 ? value : 0;
        }
      }
    }
    return out;
  };
  return { outHeight, outWidth, run };
}
