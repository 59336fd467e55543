import type { CnnSpec, MlpSpec, ModelName, ModelSpec, ParameterLayout, TrainedOn } from '../tensor/index.ts';
import { assertDataset, datasetShape, formatInputShape, inputSize, MNIST_INPUT_SHAPE, NUM_CLASSES, sameInputShape, type Dataset, type InputShape } from './dataset.ts';
import { DATASET_INPUT_SHAPES, DATASET_NAMES, DEFAULT_DATASET, type DatasetName } from './datasets.ts';
import { DatasetError, ModelSpecError } from './errors.ts';

export type { CnnSpec, MlpSpec, ModelName, ModelSpec, TrainedOn };

/** Hyper-parameters may be left out; the defaults fill them (and the dataset, MNIST). */
export type ModelSpecInput = { readonly name: ModelName } & Partial<Omit<MlpSpec, 'name'>> & Partial<Omit<CnnSpec, 'name'>>;

/** What public functions accept: a full spec, a partial one, or just the model's name. */
export type ModelSpecLike = ModelSpec | ModelSpecInput | ModelName;

export const MODEL_DEFAULTS = {
  mlp: { name: 'mlp', hidden: 128 },
  cnn: { name: 'cnn', filters: [8, 16], kernelSize: 5 },
} as const satisfies Record<ModelName, ModelSpec>;

export const MODEL_NAMES = Object.keys(MODEL_DEFAULTS) as ModelName[];

/** Fills defaults and checks hyper-parameters; an unknown name lists the known ones. */
export function resolveModelSpec(input: ModelSpecLike): ModelSpec {
  const spec = typeof input === 'string' ? { name: input } : input;
  if (typeof spec !== 'object' || spec === null || !MODEL_NAMES.includes(spec.name)) {
    const name = typeof spec === 'object' && spec !== null ? spec.name : spec;
    throw new ModelSpecError(`unknown model "${String(name)}"; known models: ${MODEL_NAMES.join(', ')}`, name);
  }
  const trainedOn = resolveTrainedOn(spec);
  if (spec.name === 'mlp') {
    const hidden = spec.hidden ?? MODEL_DEFAULTS.mlp.hidden;
    assertPositiveInteger(hidden, 'mlp hidden units');
    return { name: 'mlp', hidden, ...trainedOn };
  }
  const filters = spec.filters ?? MODEL_DEFAULTS.cnn.filters;
  const kernelSize = spec.kernelSize ?? MODEL_DEFAULTS.cnn.kernelSize;
  if (!Array.isArray(filters) || filters.length !== 2) {
    throw new ModelSpecError(`cnn filters must be two integers (one per conv block), got ${JSON.stringify(filters)}`, filters);
  }
  filters.forEach((count) => assertPositiveInteger(count, 'cnn filter count'));
  assertPositiveInteger(kernelSize, 'cnn kernel size');
  const inputShape = trainedOn.input ?? MNIST_INPUT_SHAPE;
  if (cnnFeatureSide(kernelSize, inputShape.height) < 1 || cnnFeatureSide(kernelSize, inputShape.width) < 1) {
    throw new ModelSpecError(`cnn kernel size ${kernelSize} leaves no pixels after two conv+pool blocks on ${formatInputShape(inputShape)} input`, kernelSize);
  }
  return { name: 'cnn', filters: [filters[0], filters[1]], kernelSize, ...trainedOn };
}

/**
 * The dataset part of a spec in its one canonical form: nothing for MNIST (so MNIST models keep
 * their hashes), otherwise the dataset and its shape. A shape that is not the dataset's is refused.
 */
function resolveTrainedOn(spec: TrainedOn): TrainedOn {
  const dataset = spec.dataset ?? DEFAULT_DATASET;
  if (!(DATASET_NAMES as readonly unknown[]).includes(dataset)) {
    throw new ModelSpecError(`unknown dataset "${String(dataset)}"; known datasets: ${DATASET_NAMES.join(', ')}`, dataset);
  }
  const shape = DATASET_INPUT_SHAPES[dataset];
  if (spec.input !== undefined && !(typeof spec.input === 'object' && spec.input !== null && sameInputShape(spec.input, shape))) {
    throw new ModelSpecError(`a model on ${dataset} takes ${formatInputShape(shape)} inputs, not ${JSON.stringify(spec.input)}; leave the input shape out`, spec.input);
  }
  return dataset === DEFAULT_DATASET ? {} : { dataset, input: shape };
}

/** The dataset a model is trained on. */
export function datasetOf(spec: ModelSpec): DatasetName {
  return spec.dataset ?? DEFAULT_DATASET;
}

/** The shape of one input example of a model. */
export function inputShapeOf(spec: ModelSpec): InputShape {
  return spec.input ?? MNIST_INPUT_SHAPE;
}

/**
 * Checks `data` is well formed and is what `spec` was built for: the same dataset (MNIST and
 * Fashion-MNIST share a shape, so the shape alone cannot tell them apart) and the same shape.
 * Training a model on another dataset's examples would produce garbage that looks like an update.
 */
export function assertDatasetFits(spec: ModelSpec, data: Dataset, what = 'dataset'): void {
  assertDataset(data, what);
  const held = data.name ?? DEFAULT_DATASET;
  const wanted = datasetOf(spec);
  if (held !== wanted || !sameInputShape(datasetShape(data), inputShapeOf(spec))) {
    throw new DatasetError(
      `${what} is ${held} (${formatInputShape(datasetShape(data))}) but the model is trained on ${wanted} (${formatInputShape(inputShapeOf(spec))}); ` +
        `run this node with --dataset ${wanted}`,
      { held, wanted },
    );
  }
}

/** Side of the feature map after both conv (valid) + pool (2×2) blocks on an input of side `inputSide`. */
export function cnnFeatureSide(kernelSize: number, inputSide: number): number {
  const afterFirst = Math.floor((inputSide - kernelSize + 1) / 2);
  return Math.floor((afterFirst - kernelSize + 1) / 2);
}

/** The canonical order and shapes of a model's parameters. */
export function layoutFor(spec: ModelSpec): ParameterLayout {
  const input = inputShapeOf(spec);
  if (spec.name === 'mlp') {
    return [
      { name: 'dense1/kernel', shape: [inputSize(input), spec.hidden] },
      { name: 'dense1/bias', shape: [spec.hidden] },
      { name: 'dense2/kernel', shape: [spec.hidden, NUM_CLASSES] },
      { name: 'dense2/bias', shape: [NUM_CLASSES] },
    ];
  }
  const [first, second] = spec.filters;
  const k = spec.kernelSize;
  const height = cnnFeatureSide(k, input.height);
  const width = cnnFeatureSide(k, input.width);
  return [
    { name: 'conv1/kernel', shape: [k, k, input.channels, first] },
    { name: 'conv1/bias', shape: [first] },
    { name: 'conv2/kernel', shape: [k, k, first, second] },
    { name: 'conv2/bias', shape: [second] },
    { name: 'dense/kernel', shape: [height * width * second, NUM_CLASSES] },
    { name: 'dense/bias', shape: [NUM_CLASSES] },
  ];
}

function assertPositiveInteger(value: unknown, what: string): void {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 4096) {
    throw new ModelSpecError(`${what} must be an integer in [1, 4096], got ${JSON.stringify(value)}`, value);
  }
}
