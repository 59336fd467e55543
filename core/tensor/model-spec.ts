/**
 * The model a checkpoint carries, described by data. The types live here, beside the checkpoint
 * that stores them, so that core/tensor needs nothing from core/ml; core/ml fills their defaults
 * (resolveModelSpec) and builds models from them.
 */

/** Multi-layer perceptron 784-hidden-10 with ReLU. */
export interface MlpSpec {
  readonly name: 'mlp';
  readonly hidden: number;
}

/** Two blocks of (valid conv kernelSize×kernelSize + ReLU + 2×2 max-pool), then dense to 10 classes. */
export interface CnnSpec {
  readonly name: 'cnn';
  readonly filters: readonly [number, number];
  readonly kernelSize: number;
}

/** A model fully described by data: it travels in checkpoints and configs and builds the same model everywhere. */
export type ModelSpec = MlpSpec | CnnSpec;
export type ModelName = ModelSpec['name'];
