/** 1 MiB: above this an update carries a blob reference instead of its payload. */
export const INLINE_PAYLOAD_LIMIT = 1024 * 1024;

/** Room for an update's fields (hashes, counts, signature) around its payload. */
export const MESSAGE_FIELDS_BYTES = 4096;

/** The largest gossip message anyone sends: an inline payload at the limit with its fields. */
export const MAX_GOSSIP_MESSAGE_BYTES = INLINE_PAYLOAD_LIMIT + MESSAGE_FIELDS_BYTES;

