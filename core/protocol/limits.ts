/** 1 MiB: above this an update carries a blob reference instead of its payload. */
export const INLINE_PAYLOAD_LIMIT = 1024 * 1024;

/** Room for an update's fields (hashes, counts, signature) around its payload. */
export const MESSAGE_FIELDS_BYTES = 4096;

/** The largest gossip message anyone sends: an inline payload at the limit with its fields. */
export const MAX_GOSSIP_MESSAGE_BYTES = INLINE_PAYLOAD_LIMIT + MESSAGE_FIELDS_BYTES;

/**
 * Default bound on the L2 norm of an update's decoded delta, for the daemon and the coordinator
 * alike. Honest updates under the defaults (100 Adam steps at lr 0.003, top-k with error feedback)
 * measure 7–11 on the MLP and 2–4 on the CNN; Adam moves a coordinate about lr per step at most,
 * so a default MLP delta stays under about 0.3 · √101,770 ≈ 96, too close to 100 for longer local
 * training. 1000 is also the bound the robustness benchmarks run with; the robust aggregation,
 * not this bound, is what tames large malicious updates.
 */
export const DEFAULT_MAX_UPDATE_NORM = 1000;
