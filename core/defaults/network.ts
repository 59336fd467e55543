/**
 * The payload encodings an update may use. core/tensor implements them; the list lives here so
 * that core/config and the CLI offer exactly these without loading the codecs.
 */
export const CODEC_IDS = ['fp32', 'fp16', 'int8', 'topk', 'topksign'] as const;
export type CodecId = (typeof CODEC_IDS)[number];

/**
 * The codec and kept fraction the daemon, the demo and the benchmarks use unless told otherwise:
 * the best that `bench compression` measured at 100× fewer bytes than fp32 on both models (4
 * peers, 10 rounds of the daemon's 100 Adam steps, error feedback). topksign sends the top k as
 * signs plus a seeded sample of nine times as many other coordinates (no index cost). At equal bytes,
 * signs did as well as 2-bit and 4-bit values, and the sample is what the CNN needed: top-k alone
 * (4%) lost 1.3 pp there because in 10 rounds it never reaches most of its 6k weights, a random
 * sample alone lost 0.9 pp on the MLP, and 3% + 6% lost 0.11 pp (MLP) and 0.24 pp (CNN).
 */
export const DEFAULT_CODEC: CodecId = 'topksign';

/**
 * Default top fraction k of the sparse codecs (topk keeps k, topksign k plus a 9k sample); 1.4%
 * keeps the 6k-parameter CNN, whose fixed header weighs most, above 100× smaller than fp32 (220
 * bytes, 109×; the MLP 120×), and within 0.5 pp of fp32 on both models at two seeds.
 */
export const DEFAULT_TOPK_FRACTION = 0.014;

/**
 * topk's own default fraction when it is chosen without one: it sends values and indices but no
 * sample, so 1.4% starves it (the CNN reached 56%, the MLP lost 2.5 pp); at 10% `bench compression`
 * measured 35.8× fewer bytes than fp32 at −0.31 pp.
 */
export const TOPK_ONLY_FRACTION = 0.1;

/** The fraction a sparse codec keeps when it is given none. */
export function defaultFractionOf(codec: 'topk' | 'topksign'): number {
  return codec === 'topk' ? TOPK_ONLY_FRACTION : DEFAULT_TOPK_FRACTION;
}

/**
 * Default bound on the L2 norm of an update's decoded delta, for the daemon and the coordinator
 * alike. Honest updates under the defaults (100 Adam steps at lr 0.003, top-k with error feedback)
 * measure 7–11 on the MLP and 2–4 on the CNN; Adam moves a coordinate about lr per step at most,
 * so a default MLP delta stays under about 0.3 · √101,770 ≈ 96, too close to 100 for longer local
 * training. 1000 is also the bound the robustness benchmarks run with; the robust aggregation,
 * not this bound, is what tames large malicious updates.
 */
export const DEFAULT_MAX_UPDATE_NORM = 1000;
