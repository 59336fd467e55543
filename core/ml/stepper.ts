import * as tf from '@tensorflow/tfjs';
import { CnnKernel, cnnKernelServes } from '../kernels/index.ts';
import { placeLayout, type PlacedParameter } from '../tensor/index.ts';
import { IMAGE_PIXELS, inputSize } from './dataset.ts';
import { sharedModel, type GradnetModel } from './model.ts';
import { inputShapeOf, layoutFor, type ModelSpec } from './spec.ts';

/**
 * Adam's steps on one model from given parameters, whatever runs them. Fill `pixels` (rows × H·W·C,
 * in [0, 1]) and `labels`, then `step()`; data-parallel workers instead call `gradient` into their
 * shared slot and `apply` the summed gradient, so every worker takes the same step.
 */
export interface TrainingStepper {
  /** 'kernels': gradnet's WebAssembly SIMD CNN kernels (core/kernels); 'tfjs': tfjs ops on its backend. */
  readonly engine: 'kernels' | 'tfjs';
  readonly pixels: Float32Array;
  readonly labels: Int32Array;
  /** One Adam step on the batch; returns its mean loss. */
  step(): number;
  /** The batch's gradient times `weight`, written into `target` in layout order; returns the mean loss. */
  gradient(target: Float32Array, weight: number): number;
  /** One Adam step with the given gradient (layout order). */
  apply(gradient: Float32Array): void;
  /** The current parameters, in layout order (a copy). */
  params(): Float32Array;
  /** Frees the optimizer's state. */
  dispose(): void;
}

/**
 * A fresh Adam on `params` for batches of `rows`, AdamW when `weightDecay` > 0 (each step first
 * multiplies the weights by 1 − learningRate × weightDecay, decoupled from Adam's moments, as
 * Loshchilov & Hutter do). The CNN trains through core/kernels when tfjs runs on wasm and the
 * kernels serve its shape (about three times faster there than tfjs's kernels, and deterministic
 * on a given machine); everything else through tfjs.
 */
export async function createStepper(spec: ModelSpec, params: Float32Array, rows: number, learningRate: number, weightDecay = 0): Promise<TrainingStepper> {
  const shrink = 1 - learningRate * weightDecay;
  if (spec.name === 'cnn' && trainingEngine(spec) === 'kernels') return new KernelStepper(await kernelFor(spec, rows), params, rows, learningRate, shrink);
  return new TfjsStepper(spec, params, rows, learningRate, shrink);
}

/** What trains `spec` in this thread on the current tfjs backend (see createStepper). */
export function trainingEngine(spec: ModelSpec): TrainingStepper['engine'] {
  return spec.name === 'cnn' && cnnKernelServes(spec) && tf.getBackend() === 'wasm' ? 'kernels' : 'tfjs';
}

/** One kernel instance per shape and batch in each thread (its buffers live in its own memory). */
const kernels = new Map<string, Promise<CnnKernel>>();

function kernelFor(spec: ModelSpec & { name: 'cnn' }, rows: number): Promise<CnnKernel> {
  const key = `${spec.kernelSize}/${spec.filters.join('/')}/${rows}`;
  let kernel = kernels.get(key);
  if (!kernel) {
    kernel = CnnKernel.create(spec, rows);
    kernels.set(key, kernel);
    kernel.catch(() => kernels.delete(key));
  }
  return kernel;
}

class KernelStepper implements TrainingStepper {
  readonly engine = 'kernels';
  readonly pixels: Float32Array;
  readonly labels: Int32Array;

  constructor(
    private readonly kernel: CnnKernel,
    params: Float32Array,
    private readonly rows: number,
    private readonly learningRate: number,
    /** 1 − lr × weight decay: what the weights are multiplied by before each Adam step. */
    private readonly shrink: number,
  ) {
    kernel.params.set(params);
    kernel.resetOptimizer();
    this.pixels = kernel.pixels.subarray(0, rows * IMAGE_PIXELS);
    this.labels = kernel.labels.subarray(0, rows);
  }

  step(): number {
    const loss = this.kernel.gradient(this.rows);
    this.adamStep();
    return loss;
  }

  gradient(target: Float32Array, weight: number): number {
    const loss = this.kernel.gradient(this.rows);
    const grads = this.kernel.grads;
    for (let i = 0; i < grads.length; i++) target[i] = grads[i] * weight;
    return loss;
  }

  apply(gradient: Float32Array): void {
    this.kernel.grads.set(gradient);
    this.adamStep();
  }

  private adamStep(): void {
    if (this.shrink !== 1) {
      const params = this.kernel.params;
      for (let i = 0; i < params.length; i++) params[i] *= this.shrink;
    }
    this.kernel.adamStep(this.learningRate);
  }

  params(): Float32Array {
    return this.kernel.params.slice();
  }

  dispose(): void {
    // The kernel's memory is reused by the next stepper of this shape; Adam's state is reset then.
  }
}

class TfjsStepper implements TrainingStepper {
  readonly engine = 'tfjs';
  readonly pixels: Float32Array;
  readonly labels: Int32Array;
  private readonly model: GradnetModel;
  private readonly optimizer: tf.AdamOptimizer;
  private readonly placed: PlacedParameter[];
  private readonly pixelsPerExample: number;

  constructor(
    spec: ModelSpec,
    params: Float32Array,
    private readonly rows: number,
    learningRate: number,
    /** 1 − lr × weight decay: what the weights are multiplied by before each Adam step. */
    private readonly shrink: number,
  ) {
    this.model = sharedModel(spec);
    this.model.setParams(params);
    this.optimizer = tf.train.adam(learningRate);
    this.placed = placeLayout(layoutFor(spec));
    this.pixelsPerExample = inputSize(inputShapeOf(spec));
    this.pixels = new Float32Array(rows * this.pixelsPerExample);
    this.labels = new Int32Array(rows);
  }

  step(): number {
    const loss = tf.tidy(() => {
      const cost = this.optimizer.minimize(this.lossOfBatch(), true, this.model.variables);
      return cost!.dataSync()[0];
    });
    // After the step, so the gradient is taken at the undecayed weights (AdamW's order up to lr² · decay).
    this.decayWeights();
    return loss;
  }

  gradient(target: Float32Array, weight: number): number {
    return tf.tidy(() => {
      const { value, grads } = tf.variableGrads(this.lossOfBatch(), this.model.variables);
      this.model.variables.forEach((variable, i) => {
        const values = grads[variable.name].dataSync();
        const offset = this.placed[i].offset;
        for (let j = 0; j < values.length; j++) target[offset + j] = values[j] * weight;
      });
      return value.dataSync()[0];
    });
  }

  apply(gradient: Float32Array): void {
    this.decayWeights();
    tf.tidy(() => {
      this.optimizer.applyGradients(
        this.model.variables.map((variable, i) => ({
          name: variable.name,
          tensor: tf.tensor(gradient.slice(this.placed[i].offset, this.placed[i].offset + this.placed[i].size), variable.shape),
        })),
      );
    });
  }

  params(): Float32Array {
    return this.model.getParams();
  }

  private decayWeights(): void {
    if (this.shrink === 1) return;
    tf.tidy(() => {
      for (const variable of this.model.variables) variable.assign(tf.mul(variable, this.shrink));
    });
  }

  dispose(): void {
    this.optimizer.dispose();
  }

  /**
   * The loss of the batch as a function of the variables. The batch's tensors are made outside
   * that function: tfjs disposes what the function creates after the forward pass, and the dense
   * layer's gradient still reads its input.
   */
  private lossOfBatch(): () => tf.Scalar {
    const x = tf.tensor2d(this.pixels, [this.rows, this.pixelsPerExample]);
    const y = tf.tensor1d(this.labels, 'int32');
    return () => this.model.loss(x, y);
  }
}
