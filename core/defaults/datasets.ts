/** The datasets a network can train on (core/ml loads them); every command's --dataset takes one. */
export const DATASET_NAMES = ['mnist', 'fashion-mnist', 'cifar10'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];
/** What every network trained on before other datasets existed. */
export const DEFAULT_DATASET: DatasetName = 'mnist';
