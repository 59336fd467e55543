import type { Hex } from 'viem';
import { backoffDelay } from '../time/index.ts';
import type { PeerConfig, PeerEffect, PeerEvent, PeerState, PeerStepResult } from './types.ts';

/** A peer that has not joined the network yet: waiting for `start`. */
export function initialPeerState(config: PeerConfig): PeerState {
  return {
    config,
    auditedThrough: 0,
    open: null,
    base: null,
    trained: null,
    signed: null,
    work: null,
    pollAt: Infinity,
    heartbeatAt: Infinity,
    failures: 0,
    coordinatorPeer: null,
    reveal: null,
    impostor: null,
    distrusted: [],
  };
}

function sameHash(a: Hex, b: Hex): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function ignored(state: PeerState, event: PeerEvent, reason: string): PeerStepResult {
  return { state, effects: [{ type: 'eventIgnored', event: event.type, reason }] };
}

function readChain(state: PeerState, effects: PeerEffect[] = []): PeerStepResult {
  return { state: { ...state, work: { kind: 'readChain' } }, effects: [...effects, { type: 'readChain' }] };
}

/** Nothing left to do until the next poll: the pass through the round went through. */
function settle(state: PeerState, now: number, effects: PeerEffect[]): PeerStepResult {
  const recovered: PeerEffect[] = state.failures > 0 ? [{ type: 'recovered', failures: state.failures }] : [];
  return { state: { ...state, work: null, failures: 0, pollAt: now + state.config.pollMs }, effects: [...effects, ...recovered] };
}

/**
 * Decides the next step of the open round after a chain read, in the order the peer needs them:
 * audit the rounds committed since, hold the round's base model, train and sign once, gossip the
 * commitment, then (once the reveal is open) the update, and re-send either while the
 * coordinator may not have heard.
 */
function advance(state: PeerState, now: number, updateSubscribers: readonly string[], effects: PeerEffect[]): PeerStepResult {
  const { config, open } = state;
  if (open === null) return settle(state, now, effects);
  const committed = open.round - 1;
  if (state.auditedThrough < committed) {
    if (!config.audit) return advance({ ...state, auditedThrough: committed }, now, updateSubscribers, effects);
    const round = state.auditedThrough + 1;
    return { state: { ...state, work: { kind: 'audit', round } }, effects: [...effects, { type: 'audit', round }] };
  }
  // The open round builds on a model this peer judged wrong: an update on it would be signed for a round a void reopens.
  if (state.distrusted.length > 0) return settle(state, now, effects);
  if (state.base === null || !sameHash(state.base.modelHash, open.baseModelHash)) {
    const modelHash = open.baseModelHash;
    return { state: { ...state, work: { kind: 'fetchModel', modelHash } }, effects: [...effects, { type: 'fetchModel', modelHash }] };
  }
  if (state.impostor !== null) return settle(state, now, effects);
  const { signed } = state;
  if (signed === null || signedBefore(signed, open.round, open.baseModelHash)) {
    const work = { kind: 'train', round: open.round, baseModelHash: open.baseModelHash } as const;
    return { state: { ...state, work }, effects: [...effects, { type: 'train', round: work.round, baseModelHash: work.baseModelHash }] };
  }
  // Signed for this round (or a later one, on a chain that went back): never sign again, only re-send.
  if (signed.round !== open.round || !sameHash(signed.baseModelHash, open.baseModelHash)) return settle(state, now, effects);
  if (!signed.revealed) {
    const uncommitted = signed.committedAt === null;
    const commitUnheard = !signed.commitHeard && updateSubscribers.length > 0 && signed.committedAt !== null && now - signed.committedAt >= config.republishAfterMs;
    if (!uncommitted && !commitUnheard) return settle(state, now, effects);
    const publish: PeerEffect = { type: 'publishCommitment', round: signed.round, digest: signed.digest, resend: !uncommitted || signed.restored };
    return { state: { ...state, work: { kind: 'publishCommitment', round: signed.round, digest: signed.digest } }, effects: [...effects, publish] };
  }
  const unsent = signed.sentAt === null;
  const unheard = !signed.heard && updateSubscribers.length > 0 && signed.sentAt !== null && now - signed.sentAt >= config.republishAfterMs;
  if (!unsent && !unheard) return settle(state, now, effects);
  const publish: PeerEffect = { type: 'publish', round: signed.round, digest: signed.digest, resend: !unsent || signed.restored };
  return { state: { ...state, work: { kind: 'publish', round: signed.round, digest: signed.digest } }, effects: [...effects, publish] };
}

/**
 * Whether what this node signed last is for an earlier round than `round` on `baseModelHash`, or
 * for that round on another base: it has yet to sign for this one. The same round on another base
 * comes only after a challenge voided rounds and the ledger went back; a second update then is no
 * equivocation (that is one round AND base, as NodeRegistry.slashEquivocation proves it), and
 * without it the round would never close.
 */
function signedBefore(signed: NonNullable<PeerState['signed']>, round: number, baseModelHash: Hex): boolean {
  return signed.round < round || (signed.round === round && !sameHash(signed.baseModelHash, baseModelHash));
}

/**
 * What became of the rounds this peer judged wrong, as of a chain read: voided (the ledger is back
 * before one, or holds another model at its place: voided and committed anew) or final (the
 * network accepted it; this peer carries on with it). The rest stay distrusted.
 */
function settleDistrust(distrusted: PeerState['distrusted'], event: Extract<PeerEvent, { type: 'chainRead' }>): { kept: PeerState['distrusted']; effects: PeerEffect[]; voidedFrom: number } {
  const kept: { round: number; modelHash: Hex }[] = [];
  const effects: PeerEffect[] = [];
  let voidedFrom = Infinity;
  for (const judged of distrusted) {
    const voided = judged.round > event.roundCount || (judged.round === event.roundCount && !sameHash(judged.modelHash, event.latestModelHash));
    if (voided) voidedFrom = Math.min(voidedFrom, judged.round);
    if (voided || judged.round <= event.finalRound) effects.push({ type: 'resuming', round: judged.round, because: voided ? 'voided' : 'final' });
    else kept.push(judged);
  }
  return { kept, effects, voidedFrom };
}

function onChainRead(state: PeerState, event: Extract<PeerEvent, { type: 'chainRead' }>): PeerStepResult {
  if (state.work?.kind !== 'readChain') return ignored(state, event, 'no chain read is in flight');
  const open = { round: event.roundCount + 1, baseModelHash: event.latestModelHash };
  const effects: PeerEffect[] = [];
  if (state.open === null || state.open.round !== open.round || !sameHash(state.open.baseModelHash, open.baseModelHash)) {
    effects.push({ type: 'roundOpened', round: open.round, baseModelHash: open.baseModelHash });
  }
  const distrust = settleDistrust(state.distrusted, event);
  effects.push(...distrust.effects);
  // The same head round on another model: voided and committed anew between two reads.
  const headRecommitted = state.open !== null && state.open.round === open.round && !sameHash(state.open.baseModelHash, open.baseModelHash);
  // A ledger that went back (a challenge voided rounds) commits those rounds anew: audit them again.
  const auditedThrough = Math.min(state.auditedThrough, event.roundCount, distrust.voidedFrom - 1, headRecommitted ? event.roundCount - 1 : Infinity);
  const next: PeerState = { ...state, open, work: null, auditedThrough, distrusted: distrust.kept };
  const { trained, signed, impostor } = next;
  if (trained === null) return advance(next, event.now, event.updateSubscribers, effects);
  const stillOpen = open.round === trained.round && sameHash(open.baseModelHash, trained.baseModelHash);
  const trusted = next.distrusted.length === 0;
  if (stillOpen && impostor === null && trusted && (signed === null || signedBefore(signed, trained.round, trained.baseModelHash))) {
    const work = { kind: 'sign', round: trained.round, baseModelHash: trained.baseModelHash } as const;
    return { state: { ...next, work }, effects: [...effects, { type: 'sign', round: work.round, baseModelHash: work.baseModelHash }] };
  }
  const reason = !stillOpen
    ? `round ${trained.round} was committed while this node trained`
    : impostor !== null
      ? 'another daemon signs with this node key'
      : !trusted
        ? `this node's audit judged the model of round ${next.distrusted[0]?.round} wrong`
        : `round ${trained.round} is signed already`;
  effects.push({ type: 'dropUpdate', round: trained.round, reason });
  return advance({ ...next, trained: null }, event.now, event.updateSubscribers, effects);
}

/**
 * A wrong judgement the audit reached in the background binds like one reached at once: from now
 * on nothing is trained or signed on that model (what was signed while the audit waited for its
 * inputs stays signed: it was gossiped already). A judgement on a commit the ledger no longer
 * holds at that place (voided; the round is audited again) is dropped.
 */
function onJudgedWrongLate(state: PeerState, event: Extract<PeerEvent, { type: 'judgedWrongLate' }>): PeerStepResult {
  const { round, modelHash } = event;
  if (round > state.auditedThrough) return ignored(state, event, `round ${round} was voided since and is audited again`);
  if (state.open !== null && round === state.open.round - 1 && !sameHash(state.open.baseModelHash, modelHash)) {
    return ignored(state, event, `the ledger holds another model than ${modelHash} at round ${round} now`);
  }
  if (state.distrusted.some((held) => held.round === round && sameHash(held.modelHash, modelHash))) return { state, effects: [] };
  const distrusted = [...state.distrusted.filter((held) => held.round !== round), { round, modelHash }].sort((a, b) => a.round - b.round);
  return { state: { ...state, distrusted }, effects: [{ type: 'withholding', round, modelHash }] };
}

function onFailure(state: PeerState, event: Extract<PeerEvent, { type: 'workFailed' }>): PeerStepResult {
  if (state.work?.kind !== event.work) return ignored(state, event, `no ${event.work} is in flight`);
  const failures = state.failures + 1;
  const delayMs = backoffDelay(failures, state.config.backoff);
  return {
    state: { ...state, work: null, failures, pollAt: event.now + delayMs },
    effects: [{ type: 'retryScheduled', work: event.work, failures, delayMs, error: event.error }],
  };
}

/** A signed record that this process has not gossiped yet, neither commitment nor update. */
const UNSENT = { committedAt: null, commitHeard: false, revealed: false, sentAt: null, heard: false } as const;

/**
 * The coordinator announced a round's stage. A (re)started coordinator may have missed what this
 * peer sent for the round, so it is sent again. The update may go out once a reveal is announced
 * after its commitment went out: a reveal already open when the commitment was sent (signed late)
 * waits for the round to take commitments again, since the coordinator refuses late ones.
 */
function onRoundOpen(state: PeerState, event: Extract<PeerEvent, { type: 'roundOpenHeard' }>): PeerState {
  const { round, baseModelHash, reveal, peer } = event;
  const revealWasOpen = state.reveal !== null && state.reveal.round === round && sameHash(state.reveal.baseModelHash, baseModelHash);
  const next: PeerState = { ...state, coordinatorPeer: peer, reveal: reveal ? { round, baseModelHash } : null };
  const { signed } = state;
  if (signed === null || signed.round !== round || !sameHash(signed.baseModelHash, baseModelHash)) return next;
  if (!reveal) return { ...next, signed: { ...signed, commitHeard: false, revealed: false, heard: false } };
  const revealed = signed.revealed || (!revealWasOpen && signed.committedAt !== null);
  return { ...next, signed: { ...signed, revealed, heard: false } };
}

/** Reads the chain now (even in a backoff: the network has news); a step under way is followed by a read or the next poll anyway. */
function pollNow(state: PeerState): PeerStepResult {
  return state.work === null ? readChain(state) : { state, effects: [] };
}

function onTick(state: PeerState, now: number): PeerStepResult {
  let next = state;
  const effects: PeerEffect[] = [];
  if (next.open !== null && next.impostor === null && now >= next.heartbeatAt) {
    effects.push({ type: 'heartbeat', round: next.open.round, modelHash: next.open.baseModelHash, timestamp: now });
    next = { ...next, heartbeatAt: now + next.config.heartbeatMs };
  }
  if (next.work === null && now >= next.pollAt) return readChain(next, effects);
  return { state: next, effects };
}

/**
 * The peer state machine: given a state and an event, the next state and the effects the daemon
 * must carry out (in order). Pure: no clock, no I/O, inputs are never mutated. One step of the
 * round runs at a time (`work`); its result or failure comes back as an event, and a result that
 * no longer applies is ignored with an `eventIgnored` effect. Invariant: at most one `sign`
 * effect per round, ever; after it, the round only sees `publish` of that same digest.
 */
export function step(state: PeerState, event: PeerEvent): PeerStepResult {
  switch (event.type) {
    case 'start': {
      if (state.open !== null || state.work !== null) return ignored(state, event, 'already started');
      const signed = event.restored === undefined ? null : { ...event.restored, ...UNSENT, restored: true };
      return readChain({ ...state, auditedThrough: Math.min(event.finalRound ?? event.roundCount, event.roundCount), signed, heartbeatAt: event.now + state.config.heartbeatMs, pollAt: event.now });
    }
    case 'tick':
      return onTick(state, event.now);
    case 'chainRead':
      return onChainRead(state, event);
    case 'workFailed':
      return onFailure(state, event);
    case 'audited': {
      if (state.work?.kind !== 'audit' || state.work.round !== event.round) return ignored(state, event, `no audit of round ${event.round} is in flight`);
      const audited: PeerState = { ...state, work: null, auditedThrough: event.round };
      if (event.wrongModel === undefined) return readChain(audited);
      const judged = { round: event.round, modelHash: event.wrongModel };
      const distrusted = [...state.distrusted.filter((held) => held.round < event.round), judged];
      return readChain({ ...audited, distrusted }, [{ type: 'withholding', ...judged }]);
    }
    case 'judgedWrongLate':
      return onJudgedWrongLate(state, event);
    case 'modelLoaded': {
      if (state.work?.kind !== 'fetchModel' || !sameHash(state.work.modelHash, event.modelHash)) return ignored(state, event, `model ${event.modelHash} was not asked for`);
      // Read the chain again before training: fetching may have taken long enough for the round to close.
      return readChain({ ...state, work: null, base: { modelHash: event.modelHash, parameterCount: event.parameterCount } });
    }
    case 'trained': {
      const { work } = state;
      if (work?.kind !== 'train' || work.round !== event.round || !sameHash(work.baseModelHash, event.baseModelHash)) {
        return ignored(state, event, `no training of round ${event.round} is in flight`);
      }
      return readChain({ ...state, work: null, trained: { round: work.round, baseModelHash: work.baseModelHash } });
    }
    case 'signed': {
      const { work } = state;
      if (work?.kind !== 'sign' || work.round !== event.round) return ignored(state, event, `no signing of round ${event.round} is in flight`);
      const signed = { round: event.round, baseModelHash: event.baseModelHash, digest: event.digest, ...UNSENT, restored: false };
      const effects: PeerEffect[] = [{ type: 'publishCommitment', round: event.round, digest: event.digest, resend: false }];
      return { state: { ...state, signed, trained: null, work: { kind: 'publishCommitment', round: event.round, digest: event.digest } }, effects };
    }
    case 'commitmentPublished': {
      const { work, signed } = state;
      if (work?.kind !== 'publishCommitment' || signed === null || work.digest !== event.digest) return ignored(state, event, `no gossip of the commitment to ${event.digest} is in flight`);
      const commitHeard = state.coordinatorPeer !== null && event.updateSubscribers.includes(state.coordinatorPeer);
      return settle({ ...state, signed: { ...signed, committedAt: event.now, commitHeard } }, event.now, []);
    }
    case 'published': {
      const { work, signed } = state;
      if (work?.kind !== 'publish' || signed === null || work.digest !== event.digest) return ignored(state, event, `no gossip of ${event.digest} is in flight`);
      const heard = state.coordinatorPeer !== null && event.updateSubscribers.includes(state.coordinatorPeer);
      return settle({ ...state, signed: { ...signed, sentAt: event.now, heard } }, event.now, []);
    }
    case 'roundOpenHeard':
      return pollNow(onRoundOpen(state, event));
    case 'modelAnnounced':
      return pollNow({ ...state, coordinatorPeer: event.peer });
    case 'ownKeyHeard': {
      const { signed } = state;
      if (state.impostor !== null || (signed !== null && signed.round === event.round && sameHash(signed.digest, event.digest))) return { state, effects: [] };
      const reason = signed !== null && signed.round === event.round
        ? `an update for round ${event.round} signed with this node key (${event.digest}) is not the one this daemon sent (${signed.digest})`
        : `an update for round ${event.round} signed with this node key (${event.digest}) was not made by this daemon`;
      const impostor = { round: event.round, digest: event.digest, reason: `${reason}: another daemon runs with this key; stop it, or this node is slashed for equivocation` };
      return { state: { ...state, impostor }, effects: [{ type: 'stopPublishing', ...impostor }] };
    }
  }
}

/** When a `tick` could next change the state (a heartbeat, a poll, the end of a backoff). */
export function nextWakeAt(state: PeerState): number {
  const heartbeat = state.open !== null && state.impostor === null ? state.heartbeatAt : Infinity;
  return Math.min(heartbeat, state.work === null ? state.pollAt : Infinity);
}
