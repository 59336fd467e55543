import * as tf from '@tensorflow/tfjs';
import { assertParameters, placeLayout, type ParameterLayout, type PlacedParameter } from '../tensor/index.ts';
import { NUM_CLASSES } from './dataset.ts';
import { dense } from './dense.ts';
import { initialParams } from './init.ts';
import type { Seed } from './random.ts';
import { inputShapeOf, layoutFor, type ModelSpec, type ModelSpecLike } from './spec.ts';

/**
 * A model held as tfjs variables in canonical layout order. It is built once per spec and reused:
 * `setParams` loads any flat vector into it, so a process can simulate many peers with one model.
 */
export class GradnetModel {
  readonly spec: ModelSpec;
  readonly layout: ParameterLayout;
  readonly variables: tf.Variable[];
  private readonly placed: PlacedParameter[];

  constructor(spec: ModelSpec, params: Float32Array) {
    this.spec = spec;
    this.layout = layoutFor(spec);
    this.placed = placeLayout(this.layout);
    assertParameters(this.layout, params);
    this.variables = this.placed.map((entry) =>
      tf.variable(tf.tensor(params.slice(entry.offset, entry.offset + entry.size), [...entry.shape]), true),
    );
  }

  get parameterCount(): number {
    return this.placed.reduce((total, entry) => total + entry.size, 0);
  }

  /** Loads a flat vector (checked for length and finiteness). */
  setParams(params: Float32Array): void {
    assertParameters(this.layout, params);
    tf.tidy(() => {
      this.placed.forEach((entry, i) => {
        this.variables[i].assign(tf.tensor(params.slice(entry.offset, entry.offset + entry.size), [...entry.shape]));
      });
    });
  }

  /** The current weights as one flat vector in layout order. */
  getParams(): Float32Array {
    const params = new Float32Array(this.parameterCount);
    this.placed.forEach((entry, i) => params.set(this.variables[i].dataSync() as Float32Array, entry.offset));
    return params;
  }

  /**
   * Class scores for a batch of flattened images [batch, H·W·C] scaled to [0, 1]. The CNN pools
   * before adding the bias and applying ReLU: both are monotone per channel, so this equals the
   * usual conv→bias→ReLU→pool while doing that work on a quarter of the values.
   */
  logits(pixels: tf.Tensor2D): tf.Tensor2D {
    const v = this.variables;
    if (this.spec.name === 'mlp') {
      const hidden = dense(pixels, v[0] as tf.Tensor2D, v[1] as tf.Tensor1D, { relu: true, inputGradient: false });
      return dense(hidden, v[2] as tf.Tensor2D, v[3] as tf.Tensor1D, { relu: false, inputGradient: true });
    }
    const { height, width, channels } = inputShapeOf(this.spec);
    const images = tf.reshape(pixels, [-1, height, width, channels]) as tf.Tensor4D;
    const first = tf.relu(tf.add(tf.maxPool(evenCrop(tf.conv2d(images, v[0] as tf.Tensor4D, 1, 'valid')), 2, 2, 'valid'), v[1])) as tf.Tensor4D;
    const second = tf.relu(tf.add(tf.maxPool(evenCrop(tf.conv2d(first, v[2] as tf.Tensor4D, 1, 'valid')), 2, 2, 'valid'), v[3])) as tf.Tensor4D;
    const flat = tf.reshape(second, [second.shape[0], -1]) as tf.Tensor2D;
    return dense(flat, v[4] as tf.Tensor2D, v[5] as tf.Tensor1D, { relu: false, inputGradient: true });
  }

  /** Mean softmax cross-entropy of the batch. */
  loss(pixels: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, NUM_CLASSES), this.logits(pixels)) as tf.Scalar;
  }

  dispose(): void {
    this.variables.forEach((variable) => variable.dispose());
  }
}

/** Drops an odd last row/column so that 2×2 pooling tiles the map exactly (as 'valid' pooling would). */
function evenCrop(map: tf.Tensor4D): tf.Tensor4D {
  const [batch, height, width, channels] = map.shape;
  if (height % 2 === 0 && width % 2 === 0) return map;
  return tf.slice(map, [0, 0, 0, 0], [batch, height - (height % 2), width - (width % 2), channels]);
}

/** A new model with seeded initial weights (the caller owns it and disposes it). */
export function createModel(specInput: ModelSpecLike, seed: Seed): GradnetModel {
  const { spec, params } = initialParams(specInput, seed);
  return new GradnetModel(spec, params);
}

/**
 * One shared model per spec and backend for trainLocal/evaluate: building variables per call would
 * dominate short rounds. Callers never see it, and every use starts with setParams.
 */
const sharedModels = new Map<string, GradnetModel>();

export function sharedModel(spec: ModelSpec): GradnetModel {
  const key = `${tf.getBackend()}/${JSON.stringify(spec)}`;
  let model = sharedModels.get(key);
  if (!model) {
    model = new GradnetModel(spec, new Float32Array(placeLayout(layoutFor(spec)).reduce((total, entry) => total + entry.size, 0)));
    sharedModels.set(key, model);
  }
  return model;
}

/** Frees the shared models (e.g. before switching backends in a test). */
export function disposeSharedModels(): void {
  sharedModels.forEach((model) => model.dispose());
  sharedModels.clear();
}
