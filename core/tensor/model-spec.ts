/**
 * The model a checkpoint carries, described by data. The types live here, beside the checkpoint
 * that stores them, so that core/tensor needs nothing from core/ml; core/ml fills their defaults
 * (resolveModelSpec) and builds models from them.
 */

import type { DatasetName } from '../defaults/index.ts';

export type { DatasetName };

/** Height × width × channels of one example, channels last (tfjs's NHWC). */
export interface InputShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/**
 * What a model is trained on. Both are absent for MNIST (28×28×1), so every MNIST model keeps the
 * hash it had before other datasets existed; any other dataset is named, with its shape, and the
 * model hash commits to both, so a daemon holding other data refuses to train the model.
 */
export interface TrainedOn {
  readonly dataset?: DatasetName;
  readonly input?: InputShape;
}

/** Multi-layer perceptron (H·W·C)-hidden-10 with ReLU. */
export interface MlpSpec extends TrainedOn {
  readonly name: 'mlp';
  readonly hidden: number;
}

/** Two blocks of (valid conv kernelSize×kernelSize + ReLU + 2×2 max-pool), then dense to 10 classes. */
export interface CnnSpec extends TrainedOn {
  readonly name: 'cnn';
  readonly filters: readonly [number, number];
  readonly kernelSize: number;
}

/** A model fully described by data: it travels in checkpoints and configs and builds the same model everywhere. */
export type ModelSpec = MlpSpec | CnnSpec;
export type ModelName = ModelSpec['name'];
