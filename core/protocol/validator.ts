import { Counter, Registry } from 'prom-client';
import type { Address, Hex } from 'viem';
import { decodeDelta, isCodecId, maxPayloadBytes, payloadElementCount } from '../tensor/index.ts';
import { decodeHeartbeat, decodeModelAnnounce, decodeRoundOpen, type Heartbeat, type ModelAnnounce, type RoundOpen } from './announcements.ts';
import { commitmentDigest, decodeCommitment, recoverCommitmentSigner, type SignedCommitment } from './commitment.ts';
import { contentHash } from './content-hash.ts';
import { MAX_GOSSIP_MESSAGE_BYTES } from './limits.ts';
import { equivocationEvidence, type EquivocationEvidence } from './evidence.ts';
import { TOPIC_KINDS, type TopicKind } from './topics.ts';
import { decodeUpdate, recoverUpdateSigner, updateDigest, type GradnetDomain, type SignedUpdate } from './update.ts';
import { checkVerdict, decodeVerdict, type SignedVerdict, type VerdictLedger } from './verdict.ts';

/** Who may publish: registered, active node keys. The chain's RegistryReader satisfies it. */
export interface NodeDirectory {
  isActive(nodeKey: Address, signal?: AbortSignal): Promise<boolean>;
}

/** What the validator checks updates against; its owner (node or coordinator) keeps it current. */
export interface ValidationContext {
  /** The round now open: older updates are stale, newer ones early (both ignored, not penalised). */
  round: number;
  baseModelHash: Hex;
  parameterCount: number;
  /** Bound on the L2 norm of a decoded delta. */
  maxNorm: number;
  /**
   * Bound on the sample count an update may claim (aggregation weighs by it). Default: no bound
   * beyond the integer range; set it from the local steps × batch size the round asks for.
   */
  maxSamples?: number;
  /** The round's reveal is open: commitments are refused (`commit_late`). */
  commitsClosed?: boolean;
}

export type ValidationOutcome = 'accept' | 'reject' | 'ignore';

/** Every reason a message is accepted, rejected or ignored; each has its own counter. */
export const VALIDATION_REASONS = [
  'valid',
  'oversize',
  'decode_failed',
  'unknown_codec',
  'stale_round',
  'future_round',
  'no_context',
  'wrong_base_model',
  'bad_signature',
  'from_mismatch',
  'unregistered_signer',
  'registry_unavailable',
  'duplicate',
  'equivocation',
  'payload_unavailable',
  'payload_digest_mismatch',
  'wrong_length',
  'bad_payload',
  'non_finite',
  'norm_exceeded',
  'samples_exceeded',
  'clock_skew',
  'not_coordinator',
  'commit_late',
  'commitment_conflict',
  'unknown_round',
  'wrong_commitment',
  'internal_error',
] as const;
export type ValidationReason = (typeof VALIDATION_REASONS)[number];

const OUTCOME_OF: Record<ValidationReason, ValidationOutcome> = {
  valid: 'accept',
  oversize: 'reject',
  decode_failed: 'reject',
  unknown_codec: 'reject',
  stale_round: 'ignore',
  future_round: 'ignore',
  no_context: 'ignore',
  wrong_base_model: 'reject',
  bad_signature: 'reject',
  from_mismatch: 'reject',
  unregistered_signer: 'reject',
  registry_unavailable: 'ignore',
  duplicate: 'ignore',
  equivocation: 'reject',
  payload_unavailable: 'ignore',
  payload_digest_mismatch: 'reject',
  wrong_length: 'reject',
  bad_payload: 'reject',
  non_finite: 'reject',
  norm_exceeded: 'reject',
  samples_exceeded: 'reject',
  clock_skew: 'ignore',
  not_coordinator: 'reject',
  // A slow honest node may commit once the reveal opened, and a restarted one may re-send a
  // commitment that lost to one it made before (it cannot have: it never signs twice); neither
  // must cost an honest node its gossip score. The coordinator refuses both.
  commit_late: 'ignore',
  commitment_conflict: 'ignore',
  // A verdict may race the commit it names, or name a round since voided and committed again.
  unknown_round: 'ignore',
  wrong_commitment: 'ignore',
  // A bug of ours must not penalise the sender.
  internal_error: 'ignore',
};

export function outcomeOf(reason: ValidationReason): ValidationOutcome {
  return OUTCOME_OF[reason];
}

export interface Refusal {
  outcome: 'reject' | 'ignore';
  reason: Exclude<ValidationReason, 'valid'>;
  detail: string;
  evidence?: EquivocationEvidence;
}

export type Verdict<T> = ({ outcome: 'accept'; reason: 'valid' } & T) | Refusal;

/** An update that passed validation, decoded: what gossip delivers to the daemon and the coordinator. */
export interface ValidatedUpdate {
  update: SignedUpdate;
  /** The EIP-712 digest: the update's identity for duplicates, evidence and aggregation order. */
  digest: Hex;
  delta: Float32Array;
}

export interface ValidateOptions {
  /** Address of the libp2p key that published the message; undefined when it is not secp256k1. */
  from: Address | undefined;
  /** Fetches a payload that travels as a blob reference; must verify the bytes against the digest. */
  fetchPayload?: (digest: Hex, size: number, signal?: AbortSignal) => Promise<Uint8Array>;
  signal?: AbortSignal;
}

export interface GossipValidatorOptions {
  domain: GradnetDomain;
  directory: NodeDirectory;
  /** Current round, base model, parameter count and norm bound; undefined while not yet known. */
  context: () => ValidationContext | undefined;
  /** Who may publish round-open and model-announce messages. */
  isCoordinator: (address: Address) => boolean | Promise<boolean>;
  /** Counters are registered here (e.g. the coordinator's /metrics registry); a private one otherwise. */
  registry?: Registry;
  /** Size bound on any gossip message, checked before decoding. Default 1 MiB + 4 KiB of fields. */
  maxMessageBytes?: number;
  /** Heartbeats further than this from local time are ignored. Default 5 minutes. */
  maxClockSkewMs?: number;
  now?: () => number;
  onEquivocation?: (evidence: EquivocationEvidence) => void;
  /** The committed rounds verdicts are checked against; without it verdicts are ignored (`no_context`). */
  ledger?: VerdictLedger;
}

const COUNTER_NAME = 'gradnet_gossip_validation_total';
const MAX_EVIDENCE_KEPT = 1000;

class ValidationRefused extends Error {
  constructor(
    readonly reason: Exclude<ValidationReason, 'valid'>,
    readonly detail: string,
    readonly evidence?: EquivocationEvidence,
  ) {
    super(detail);
  }
}

function refuse(reason: Exclude<ValidationReason, 'valid'>, detail: string, evidence?: EquivocationEvidence): never {
  throw new ValidationRefused(reason, detail, evidence);
}

/**
 * Validates every gossip message (updates, heartbeats, round openings, model announcements) before anything is kept or forwarded. It never throws: every path
 * ends in a verdict with a reason, and every reason is counted.
 */
export class GossipValidator {
  private readonly counter: Counter<'kind' | 'outcome' | 'reason'>;
  private readonly firstSeen = new Map<number, Map<Address, SignedUpdate & { digest: Hex }>>();
  /** The first commitment of each node per round: the committed update digest. */
  private readonly commitmentsSeen = new Map<number, Map<Address, { digest: Hex; baseModelHash: Hex }>>();
  private readonly evidenceKept: EquivocationEvidence[] = [];
  private readonly maxMessageBytes: number;
  private readonly maxClockSkewMs: number;
  private readonly now: () => number;
  readonly registry: Registry;

  constructor(private readonly options: GossipValidatorOptions) {
    this.registry = options.registry ?? new Registry();
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_GOSSIP_MESSAGE_BYTES;
    this.maxClockSkewMs = options.maxClockSkewMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    // Validators sharing a registry (say, a restarted node) share the counter rather than clash.
    const existing = this.registry.getSingleMetric(COUNTER_NAME) as Counter<'kind' | 'outcome' | 'reason'> | undefined;
    this.counter =
      existing ??
      new Counter({
        name: COUNTER_NAME,
        help: 'Gossip messages validated, by message kind, outcome and reason',
        labelNames: ['kind', 'outcome', 'reason'],
        registers: [this.registry],
      });
    for (const kind of TOPIC_KINDS) {
      for (const reason of VALIDATION_REASONS) this.counter.inc({ kind, outcome: OUTCOME_OF[reason], reason }, 0);
    }
  }

  async validateUpdate(data: Uint8Array, options: ValidateOptions): Promise<Verdict<ValidatedUpdate>> {
    return this.guard('update', () => this.checkUpdate(data, options));
  }

  async validateHeartbeat(data: Uint8Array, options: ValidateOptions): Promise<Verdict<{ heartbeat: Heartbeat }>> {
    return this.guard('heartbeat', async () => {
      const heartbeat = this.decodeBounded(data, decodeHeartbeat);
      if (!sameAddress(options.from, heartbeat.nodeKey)) refuse('from_mismatch', `heartbeat of ${heartbeat.nodeKey} published by ${options.from}`);
      await this.requireActive(heartbeat.nodeKey, options.signal);
      if (Math.abs(heartbeat.timestamp - this.now()) > this.maxClockSkewMs) {
        refuse('clock_skew', `heartbeat time ${heartbeat.timestamp} is more than ${this.maxClockSkewMs} ms from local time`);
      }
      return { heartbeat };
    });
  }

  async validateRoundOpen(data: Uint8Array, options: ValidateOptions): Promise<Verdict<{ roundOpen: RoundOpen }>> {
    return this.guard('round-open', async () => {
      const roundOpen = this.decodeBounded(data, decodeRoundOpen);
      await this.requireCoordinator(options.from);
      return { roundOpen };
    });
  }

  async validateModelAnnounce(data: Uint8Array, options: ValidateOptions): Promise<Verdict<{ modelAnnounce: ModelAnnounce }>> {
    return this.guard('model-announce', async () => {
      const modelAnnounce = this.decodeBounded(data, decodeModelAnnounce);
      await this.requireCoordinator(options.from);
      return { modelAnnounce };
    });
  }

  /** An auditor's verdict: from its signer, signed in this domain, by an active node, on exactly what the ledger committed. */
  async validateVerdict(data: Uint8Array, options: ValidateOptions): Promise<Verdict<{ verdict: SignedVerdict }>> {
    return this.guard('verdict', async () => {
      const verdict = this.decodeBounded(data, decodeVerdict);
      if (!sameAddress(options.from, verdict.nodeKey)) refuse('from_mismatch', `verdict of ${verdict.nodeKey} published by ${options.from}`);
      const ledger = this.options.ledger;
      if (ledger === undefined) refuse('no_context', 'this node reads no ledger to check verdicts against');
      const problem = await checkVerdict(verdict, { domain: this.options.domain, ledger, signal: options.signal });
      if (problem !== undefined) refuse(problem.reason, problem.detail);
      await this.requireActive(verdict.nodeKey, options.signal);
      return { verdict };
    });
  }

  /**
   * A commitment to an update: from its signer, for the open round and model, before the reveal,
   * by an active node, signed in this domain; one per node and round (the first stays).
   */
  async validateCommitment(data: Uint8Array, options: ValidateOptions): Promise<Verdict<{ commitment: SignedCommitment; digest: Hex }>> {
    return this.guard('commitment', async () => {
      const commitment = this.decodeBounded(data, decodeCommitment);
      const context = this.options.context();
      if (context === undefined) refuse('no_context', 'no round is open locally yet');
      if (commitment.round < context.round) refuse('stale_round', `commitment for round ${commitment.round}, round ${context.round} is open`);
      if (commitment.round > context.round) refuse('future_round', `commitment for round ${commitment.round}, round ${context.round} is open`);
      if (commitment.baseModelHash.toLowerCase() !== context.baseModelHash.toLowerCase()) {
        refuse('wrong_base_model', `commitment on ${commitment.baseModelHash}, round ${context.round} starts from ${context.baseModelHash}`);
      }
      if (context.commitsClosed === true) refuse('commit_late', `the reveal of round ${context.round} is open; commitments are no longer taken`);
      if (!sameAddress(options.from, commitment.nodeKey)) refuse('from_mismatch', `commitment of ${commitment.nodeKey} published by ${options.from}`);
      await this.requireActive(commitment.nodeKey, options.signal);
      const signer = await recoverCommitmentSigner(commitment, this.options.domain);
      if (signer !== commitment.nodeKey) refuse('bad_signature', `commitment signature recovers ${signer}, not its node key ${commitment.nodeKey}`);
      // Claimed only once verified (a forged commitment must not take a node's slot), after the
      // last await (two racing through validation cannot both pass).
      const byNode = this.roundMemory(this.commitmentsSeen, commitment.round, context.round);
      // A commitment on another base is to a round opened again after a challenge: a new slot.
      const claimed = byNode.get(commitment.nodeKey);
      const sameBase = claimed !== undefined && sameHash(claimed.baseModelHash, commitment.baseModelHash);
      if (sameBase && sameHash(claimed.digest, commitment.updateDigest)) refuse('duplicate', `commitment to ${claimed.digest} was already seen`);
      if (sameBase) refuse('commitment_conflict', `${commitment.nodeKey} committed to ${claimed.digest} in round ${commitment.round} first, not ${commitment.updateDigest}`);
      byNode.set(commitment.nodeKey, { digest: commitment.updateDigest, baseModelHash: commitment.baseModelHash });
      return { commitment, digest: commitmentDigest(commitment, this.options.domain) };
    });
  }

  /**
   * Forgets the commitments and updates seen for `round`: the coordinator collects a round again
   * after its aggregation failed, and the nodes re-send the same ones, which must count again.
   */
  forgetRound(round: number): void {
    this.firstSeen.delete(round);
    this.commitmentsSeen.delete(round);
  }

  /** Equivocation evidence gathered so far (most recent last, bounded). */
  evidence(): readonly EquivocationEvidence[] {
    return this.evidenceKept;
  }

  /** Counter values as `{ "<kind>/<reason>": n }`, for tests and status output. */
  async counts(): Promise<Record<string, number>> {
    const metric = await this.counter.get();
    const out: Record<string, number> = {};
    for (const value of metric.values) {
      if (value.value > 0) out[`${value.labels.kind}/${value.labels.reason}`] = value.value;
    }
    return out;
  }

  private async guard<T>(kind: TopicKind, check: () => Promise<T>): Promise<Verdict<T>> {
    let verdict: Verdict<T>;
    try {
      verdict = { outcome: 'accept', reason: 'valid', ...(await check()) };
    } catch (error) {
      verdict =
        error instanceof ValidationRefused
          ? { outcome: OUTCOME_OF[error.reason] as 'reject' | 'ignore', reason: error.reason, detail: error.detail, evidence: error.evidence }
          : { outcome: 'ignore', reason: 'internal_error', detail: String((error as Error)?.message ?? error) };
    }
    this.counter.inc({ kind, outcome: verdict.outcome, reason: verdict.reason });
    return verdict;
  }

  private decodeBounded<T>(data: Uint8Array, decode: (bytes: Uint8Array) => T): T {
    if (!(data instanceof Uint8Array)) refuse('decode_failed', 'message data is not bytes');
    if (data.byteLength > this.maxMessageBytes) refuse('oversize', `message of ${data.byteLength} bytes exceeds ${this.maxMessageBytes}`);
    try {
      return decode(data);
    } catch (error) {
      return refuse('decode_failed', (error as Error).message);
    }
  }

  private async requireActive(nodeKey: Address, signal?: AbortSignal): Promise<void> {
    let active: boolean;
    try {
      active = await this.options.directory.isActive(nodeKey, signal);
    } catch (error) {
      return refuse('registry_unavailable', `registry lookup of ${nodeKey} failed: ${(error as Error).message}`);
    }
    if (!active) refuse('unregistered_signer', `${nodeKey} is not a registered, active node`);
  }

  private async requireCoordinator(from: Address | undefined): Promise<void> {
    if (from === undefined || !(await this.options.isCoordinator(from))) refuse('not_coordinator', `${from} is not a coordinator`);
  }

  private async checkUpdate(data: Uint8Array, options: ValidateOptions): Promise<ValidatedUpdate> {
    const update = this.decodeBounded(data, decodeUpdate);
    const codec: string = update.codec;
    if (!isCodecId(codec)) refuse('unknown_codec', `codec ${JSON.stringify(codec.slice(0, 32))} is unknown`);
    const context = this.options.context();
    if (context === undefined) refuse('no_context', 'no round is open locally yet');
    if (update.round < context.round) refuse('stale_round', `update for round ${update.round}, round ${context.round} is open`);
    if (update.round > context.round) refuse('future_round', `update for round ${update.round}, round ${context.round} is open`);
    if (update.baseModelHash.toLowerCase() !== context.baseModelHash.toLowerCase()) {
      refuse('wrong_base_model', `update trained on ${update.baseModelHash}, round ${context.round} starts from ${context.baseModelHash}`);
    }
    if (context.maxSamples !== undefined && update.samples > context.maxSamples) {
      refuse('samples_exceeded', `update claims ${update.samples} samples, more than the ${context.maxSamples} a round allows`);
    }
    const payloadBound = maxPayloadBytes(update.codec, context.parameterCount);
    if (update.payloadSize > payloadBound) refuse('oversize', `${update.codec} payload of ${update.payloadSize} bytes exceeds ${payloadBound}`);

    // Cheap checks before the signature recovery (the costly step), so junk costs little.
    if (!sameAddress(options.from, update.nodeKey)) refuse('from_mismatch', `update of ${update.nodeKey} published by ${options.from}`);
    await this.requireActive(update.nodeKey, options.signal);
    const digest = updateDigest(update, this.options.domain);
    if (this.firstSeen.get(update.round)?.get(update.nodeKey)?.digest === digest) refuse('duplicate', `update ${digest} was already seen`);
    const signer = await recoverUpdateSigner(update, this.options.domain, digest);
    if (signer !== update.nodeKey) refuse('bad_signature', `signature recovers ${signer}, not the update's node key ${update.nodeKey}`);
    this.claimSlot(update, digest, context.round);

    const payload = await this.payloadOf(update, options);
    if (payloadElementCount(payload) !== context.parameterCount) {
      refuse('wrong_length', `payload declares ${payloadElementCount(payload)} elements, the model has ${context.parameterCount}`);
    }
    let delta: Float32Array;
    try {
      delta = decodeDelta(update.codec, payload, context.parameterCount);
    } catch (error) {
      return refuse('bad_payload', (error as Error).message);
    }
    let squares = 0;
    for (let i = 0; i < delta.length; i++) {
      if (!Number.isFinite(delta[i])) refuse('non_finite', `delta[${i}] is ${delta[i]}`);
      squares += delta[i] * delta[i];
    }
    const norm = Math.sqrt(squares);
    if (norm > context.maxNorm) refuse('norm_exceeded', `delta norm ${norm} exceeds the bound ${context.maxNorm}`);
    return { update: { ...update, payload }, digest, delta };
  }

  /**
   * One update per node per round. Claimed synchronously, before any await, so two updates
   * racing through validation cannot both pass; a second different one is equivocation even if
   * the first later fails its payload checks: the node signed both.
   */
  private claimSlot(update: SignedUpdate, digest: Hex, openRound: number): void {
    const byNode = this.roundMemory(this.firstSeen, update.round, openRound);
    const first = byNode.get(update.nodeKey);
    // Equivocation is two updates for one round AND base (as NodeRegistry.slashEquivocation proves
    // it): after a challenge voided rounds, a round opens again on another model and takes new ones.
    if (first === undefined || !sameHash(first.baseModelHash, update.baseModelHash)) {
      byNode.set(update.nodeKey, { ...update, payload: undefined, digest });
      return;
    }
    if (first.digest === digest) refuse('duplicate', `update ${digest} was already seen`);
    const evidence = equivocationEvidence(first, update, this.options.domain);
    if (!this.evidenceKept.some((kept) => kept.evidenceHash === evidence.evidenceHash)) {
      this.evidenceKept.push(evidence);
      if (this.evidenceKept.length > MAX_EVIDENCE_KEPT) this.evidenceKept.shift();
      this.options.onEquivocation?.(evidence);
    }
    refuse('equivocation', `${update.nodeKey} signed two different updates for round ${update.round}`, evidence);
  }

  /** `memory`'s entry for `round` (created if missing), forgetting rounds long closed. */
  private roundMemory<T>(memory: Map<number, Map<Address, T>>, round: number, openRound: number): Map<Address, T> {
    for (const kept of memory.keys()) if (kept < openRound - 1) memory.delete(kept);
    let byNode = memory.get(round);
    if (byNode === undefined) {
      byNode = new Map();
      memory.set(round, byNode);
    }
    return byNode;
  }

  private async payloadOf(update: SignedUpdate, options: ValidateOptions): Promise<Uint8Array> {
    if (update.payload !== undefined) {
      if (contentHash(update.payload) !== update.payloadDigest.toLowerCase()) refuse('payload_digest_mismatch', `inline payload does not hash to ${update.payloadDigest}`);
      return update.payload;
    }
    if (options.fetchPayload === undefined) refuse('payload_unavailable', `payload ${update.payloadDigest} is not inline and no blob fetcher is configured`);
    let payload: Uint8Array;
    try {
      payload = await options.fetchPayload(update.payloadDigest, update.payloadSize, options.signal);
    } catch (error) {
      return refuse('payload_unavailable', `payload ${update.payloadDigest} could not be fetched: ${(error as Error).message}`);
    }
    if (payload.byteLength !== update.payloadSize || contentHash(payload) !== update.payloadDigest.toLowerCase()) {
      refuse('payload_digest_mismatch', `fetched payload does not match ${update.payloadDigest}`);
    }
    return payload;
  }
}

function sameHash(a: Hex, b: Hex): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function sameAddress(a: Address | undefined, b: Address): boolean {
  return a !== undefined && a.toLowerCase() === b.toLowerCase();
}

export function createGossipValidator(options: GossipValidatorOptions): GossipValidator {
  return new GossipValidator(options);
}
