/**
 * The payload encodings an update may use. core/tensor implements them; the list lives here so
 * that core/config and the CLI offer exactly these without loading the codecs.
 */
export const CODEC_IDS = ['fp32', 'fp16', 'int8', 'topk', 'topksign'] as const;
export type CodecId = (typeof CODEC_IDS)[number];

/**
 * The codec and kept fraction the daemon, the demo and the benchmarks use unless told otherwise:
 * the best that `bench compression` measured at 100× fewer bytes than fp32 on both models (4
 * peers, 10 rounds of the daemon's 100 Adam steps, error feedback). At equal bytes, signs alone
 * (topksign) did as well as 2-bit and 4-bit values and better than chunked or random selections:
 * the bits a magnitude costs buy more coordinates instead. 4% of the coordinates is about 110×
 * smaller than fp32 on the MLP (−0.3 pp) and 105× on the 6k-parameter CNN (whose fixed header
 * weighs more); see the README's compression figures.
 */
export const DEFAULT_CODEC: CodecId = 'topksign';

/** Default fraction of coordinates the sparse codecs (topk, topksign) keep; see DEFAULT_CODEC. */
export const DEFAULT_TOPK_FRACTION = 0.04;

/**
 * Default bound on the L2 norm of an update's decoded delta, for the daemon and the coordinator
 * alike. Honest updates under the defaults (100 Adam steps at lr 0.003, top-k with error feedback)
 * measure 7–11 on the MLP and 2–4 on the CNN; Adam moves a coordinate about lr per step at most,
 * so a default MLP delta stays under about 0.3 · √101,770 ≈ 96, too close to 100 for longer local
 * training. 1000 is also the bound the robustness benchmarks run with; the robust aggregation,
 * not this bound, is what tames large malicious updates.
 */
export const DEFAULT_MAX_UPDATE_NORM = 1000;
