import type { CnnSpec, MlpSpec, ModelName, ModelSpec, ParameterLayout } from '../tensor/index.ts';
import { IMAGE_PIXELS, IMAGE_SIDE, NUM_CLASSES } from './dataset.ts';
import { ModelSpecError } from './errors.ts';

export type { CnnSpec, MlpSpec, ModelName, ModelSpec };

/** Hyper-parameters may be left out; the defaults fill them. */
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
  if (spec.name === 'mlp') {
    const hidden = spec.hidden ?? MODEL_DEFAULTS.mlp.hidden;
    assertPositiveInteger(hidden, 'mlp hidden units');
    return { name: 'mlp', hidden };
  }
  const filters = spec.filters ?? MODEL_DEFAULTS.cnn.filters;
  const kernelSize = spec.kernelSize ?? MODEL_DEFAULTS.cnn.kernelSize;
  if (!Array.isArray(filters) || filters.length !== 2) {
    throw new ModelSpecError(`cnn filters must be two integers (one per conv block), got ${JSON.stringify(filters)}`, filters);
  }
  filters.forEach((count) => assertPositiveInteger(count, 'cnn filter count'));
  assertPositiveInteger(kernelSize, 'cnn kernel size');
  if (cnnFeatureSide(kernelSize) < 1) {
    throw new ModelSpecError(`cnn kernel size ${kernelSize} leaves no pixels after two conv+pool blocks on 28×28 input`, kernelSize);
  }
  return { name: 'cnn', filters: [filters[0], filters[1]], kernelSize };
}

/** Side of the feature map after both conv (valid) + pool (2×2) blocks. */
export function cnnFeatureSide(kernelSize: number): number {
  const afterFirst = Math.floor((IMAGE_SIDE - kernelSize + 1) / 2);
  return Math.floor((afterFirst - kernelSize + 1) / 2);
}

/** The canonical order and shapes of a model's parameters. */
export function layoutFor(spec: ModelSpec): ParameterLayout {
  if (spec.name === 'mlp') {
    return [
      { name: 'dense1/kernel', shape: [IMAGE_PIXELS, spec.hidden] },
      { name: 'dense1/bias', shape: [spec.hidden] },
      { name: 'dense2/kernel', shape: [spec.hidden, NUM_CLASSES] },
      { name: 'dense2/bias', shape: [NUM_CLASSES] },
    ];
  }
  const [first, second] = spec.filters;
  const k = spec.kernelSize;
  const side = cnnFeatureSide(k);
  return [
    { name: 'conv1/kernel', shape: [k, k, 1, first] },
    { name: 'conv1/bias', shape: [first] },
    { name: 'conv2/kernel', shape: [k, k, first, second] },
    { name: 'conv2/bias', shape: [second] },
    { name: 'dense/kernel', shape: [side * side * second, NUM_CLASSES] },
    { name: 'dense/bias', shape: [NUM_CLASSES] },
  ];
}

function assertPositiveInteger(value: unknown, what: string): void {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 4096) {
    throw new ModelSpecError(`${what} must be an integer in [1, 4096], got ${JSON.stringify(value)}`, value);
  }
}
