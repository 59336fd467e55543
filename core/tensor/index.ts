/**
 * Flat parameter vectors and what travels or is stored of them: layouts, the model hash, update
 * codecs (fp32, fp16, int8, top-k with 4-bit or sign values and error feedback; DEFAULT_CODEC at
 * DEFAULT_TOPK_FRACTION by default), checkpoints and their content-addressed store. Of core/ it imports defaults/, files/ and errors.ts.
 */
export { TensorError, InvalidParametersError, CheckpointCorruptError, CheckpointHashMismatchError, CheckpointNotFoundError } from './errors.ts';
export { type ParameterEntry, type ParameterLayout, type PlacedParameter, shapeSize, validateLayout, layoutSize, placeLayout, assertParameters, assertFinite, sameLayout } from './layout.ts';
export { canonicalWeightsBytes, canonicalJson, weightsHash, modelHash, type ModelHashInput, UNCOMMITTED_META_FIELDS, float32ToLittleEndian, float32FromLittleEndian } from './hash.ts';
export { type Checkpoint, type CheckpointInput, type CheckpointMeta, createCheckpoint, genesisCheckpoint, encodeCheckpoint, decodeCheckpoint } from './checkpoint.ts';
export { type CnnSpec, type MlpSpec, type ModelName, type ModelSpec, type DatasetName, type InputShape, type TrainedOn } from './model-spec.ts';
export { DEFAULT_CODEC, DEFAULT_TOPK_FRACTION } from '../defaults/index.ts';
export { CheckpointStore } from './checkpoint-store.ts';
export { CODEC_IDS, CodecError, isCodecId, isSparseCodec, type CodecId, type SparseCodecId, type EncodeOptions, errorFeedbackStart, type EncodedDelta, encodeDelta, decodeDelta, maxPayloadBytes, payloadElementCount } from './codecs.ts';
