/**
 * The payload encodings an update may use. core/tensor implements them; the list lives here so
 * that core/config and the CLI offer exactly these without loading the codecs.
 */
export const CODEC_IDS = ['fp32', 'fp16', 'int8', 'topk', 'topksign'] as const;
export type CodecId = (typeof CODEC_IDS)[number];

/**
 * The codec and kept fraction the daemon, the demo and the benchmarks use unless told otherwise:
 * the best that `bench compression` measured at 100× fewer bytes than fp32 (4 peers, 10 rounds,
 * error feedback). Signs alone (topksign) beat 4-bit values (topk) at the same bytes: the bits a
 * magnitude costs buy more coordinates instead. See the README's compression rows for the figures.
 */
export const DEFAULT_CODEC: CodecId = 'topksign';

/** Default fraction of coordinates the sparse codecs (topk, topksign) keep; see DEFAULT_CODEC. */
export const DEFAULT_TOPK_FRACTION = 0.044;

/**
 * Default bound on the L2 norm of an update's decoded delta, for the daemon and the coordinator
 * alike. Honest updates under the defaults (100 Adam steps at lr 0.003, top-k with error feedback)
 * measure 7–11 on the MLP and 2–4 on the CNN; Adam moves a coordinate about lr per step at most,
 * so a default MLP delta stays under about 0.3 · √101,770 ≈ 96, too close to 100 for longer local
 * training. 1000 is also the bound the robustness benchmarks run with; the robust aggregation,
 * not this bound, is what tames large malicious updates.
 */
export const DEFAULT_MAX_UPDATE_NORM = 1000;
