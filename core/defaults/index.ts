/**
 * Defaults the daemon, the coordinator, the codec and the benchmarks must agree on, in one place
 * with no dependencies: core/config's schemas use them without loading the codec or the protocol
 * (viem, protobuf, metrics), which keeps a command's start-up fast. core/tensor implements the
 * codecs and applies the top-k fraction (and re-exports both); core/protocol's validator applies
 * the norm bound it is given.
 */
export { CODEC_IDS, DEFAULT_CODEC, DEFAULT_MAX_UPDATE_NORM, DEFAULT_TOPK_FRACTION, defaultFractionOf, type CodecId } from './network.ts';
export { DATASET_NAMES, DEFAULT_DATASET, type DatasetName } from './datasets.ts';
export { DEFAULT_AGGREGATION_RULE } from './aggregation.ts';
