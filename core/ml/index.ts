/**
 * The learning side: tfjs backends, model specs and models, dataset loading (MNIST, Fashion-MNIST,
 * CIFAR-10) and sharding, local training and evaluation, data-parallel workers. Imports
 * core/tensor for layouts. Of what an auditor must recompute bit for bit, only the scoring loss
 * lives here, in plain TypeScript (reference-loss.ts), never on tfjs (see core/aggregate,
 * core/rewards).
 */
export { MlError, ModelSpecError, DatasetError, ShardError, TrainingConfigError, BackendError } from './errors.ts';
export { type BackendName, type BackendChoice, type BackendLogger, type InitBackendOptions, BACKEND_NAMES, initBackend, ensureBackend, currentBackend } from './backend.ts';
export { conv2dGradient, maxPoolGradient, registerFastGradients } from './gradients.ts';
export { dense } from './dense.ts';
export { type Seed, SeededRandom, seededPermutation } from './random.ts';
export { type Dataset, IMAGE_SIDE, IMAGE_PIXELS, NUM_CLASSES, assertDataset, selectExamples, sliceExamples } from './dataset.ts';
export { type InputShape, MNIST_INPUT_SHAPE, inputSize, formatInputShape, datasetShape } from './dataset.ts';
export { type MnistSplits, type LoadMnistOptions, DEFAULT_VALIDATION_SIZE, loadMnist } from './mnist.ts';
export { type DatasetSplits } from './idx.ts';
export { type DatasetName, type LoadDatasetOptions, DATASET_NAMES, DATASET_INPUT_SHAPES, DEFAULT_DATASET, FASHION_MNIST_DIR, assertDatasetName, loadDataset } from './datasets.ts';
export { CIFAR10_INPUT_SHAPE, CIFAR10_RECORD_BYTES, CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE } from './cifar10.ts';
export { type ShardScheme, type ShardOptions, type PartitionOptions, DEFAULT_DIRICHLET_ALPHA, partitionIndices, shardIndexOf, shardFor } from './shard.ts';
export { type MlpSpec, type CnnSpec, type ModelSpec, type ModelName, type ModelSpecInput, type ModelSpecLike, MODEL_DEFAULTS, MODEL_NAMES, resolveModelSpec, layoutFor } from './spec.ts';
export { type TrainedOn, datasetOf, inputShapeOf, assertDatasetFits } from './spec.ts';
export { initialParams } from './init.ts';
export { GradnetModel, createModel, disposeSharedModels } from './model.ts';
export {
  type LocalTrainingConfig,
  type TrainLocalInput,
  type LocalTrainingResult,
  type EvaluateInput,
  type Evaluation,
  trainLocal,
  evaluate,
} from './train.ts';
export { type DataParallelOptions, DataParallelTrainer } from './parallel.ts';
export { trainingEngine } from './stepper.ts';
export { REFERENCE_EVALUATOR, referenceLoss, type ReferenceLossInput } from './reference-loss.ts';
