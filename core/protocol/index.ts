/**
 * The wire: protobuf messages, gossip topics, EIP-712 signing of updates, of the commitments
 * gossiped before them (commit, then reveal) and of auditors' verdicts on committed rounds
 * (verdict.ts), gossip validation with
 * a reason for every refusal, equivocation evidence, and the message size limits (limits.ts).
 */
export { ProtocolError, InvalidMessageError, InvalidEvidenceError } from './errors.ts';
export { TOPIC_KINDS, type TopicKind, type GradnetTopics, gradnetTopics, topicKind } from './topics.ts';
export { contentHash } from './content-hash.ts';
export { nodeKeyBytes, nodeKeyHex, nodeKeyAddress, addressFromPublicKey, addressFromPeerKey } from './identity.ts';
export {
  type GradnetDomain,
  gradnetDomain,
  UPDATE_TYPES,
  type UpdateFields,
  type SignedUpdate,
  type CreateUpdateInput,
  updateDigest,
  signUpdate,
  recoverUpdateSigner,
  verifyUpdate,
  assertUpdateFields,
  encodeUpdate,
  decodeUpdate,
} from './update.ts';
export {
  type Heartbeat,
  type RoundOpen,
  type ModelAnnounce,
  encodeHeartbeat,
  decodeHeartbeat,
  encodeRoundOpen,
  decodeRoundOpen,
  encodeModelAnnounce,
  decodeModelAnnounce,
} from './announcements.ts';
export {
  COMMITMENT_TYPES,
  type CommitmentFields,
  type SignedCommitment,
  commitmentDigest,
  signCommitment,
  recoverCommitmentSigner,
  encodeCommitment,
  decodeCommitment,
} from './commitment.ts';
export { type EquivocationEvidence, evidenceHashOf, equivocationEvidence, verifyEquivocationEvidence } from './evidence.ts';
export {
  type NodeDirectory,
  type ValidationContext,
  type ValidationOutcome,
  VALIDATION_REASONS,
  type ValidationReason,
  outcomeOf,
  type Refusal,
  type Verdict,
  type ValidatedUpdate,
  type ValidateOptions,
  type GossipValidatorOptions,
  GossipValidator,
  createGossipValidator,
} from './validator.ts';
export { INLINE_PAYLOAD_LIMIT, MAX_GOSSIP_MESSAGE_BYTES, MESSAGE_FIELDS_BYTES } from './limits.ts';
export { BlobRequest, BlobResponse } from './generated/gradnet.ts';
export {
  VERDICT_KINDS,
  type VerdictKind,
  verdictCode,
  verdictKindOf,
  isVerdictAgainst,
  VERDICT_TYPES,
  type VerdictFields,
  type SignedVerdict,
  type SignVerdictInput,
  MAX_VERDICT_BYTES,
  assertVerdictFields,
  verdictDigest,
  signVerdict,
  recoverVerdictSigner,
  encodeVerdict,
  decodeVerdict,
  type CommittedVerdictSubject,
  type VerdictLedger,
  type VerdictProblem,
  checkVerdict,
} from './verdict.ts';
