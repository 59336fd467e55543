import type { Hex } from 'viem';
import { commitRetryDelay, parseRoundConfig, quorumFloor, type RoundConfigInput } from './config.ts';
import type {
  AcceptedCommitment,
  AcceptedUpdate,
  AggregatingState,
  CollectingState,
  IgnoredCommitmentReason,
  IdleState,
  RoundEffect,
  RoundEvent,
  RoundState,
  RevealReason,
  StepResult,
} from './types.ts';

/** A fresh state machine: idle until `start` (or `resumeCommit` after a crash). */
export function initialRoundState(config: RoundConfigInput = {}): IdleState {
  return { phase: 'idle', config: parseRoundConfig(config), lastSeen: {}, activeSet: null };
}

function keyOf(nodeKey: Hex): string {
  return nodeKey.toLowerCase();
}

/** What every phase carries over into the next. */
function carried(state: RoundState): Pick<RoundState, 'config' | 'lastSeen' | 'activeSet'> {
  return { config: state.config, lastSeen: state.lastSeen, activeSet: state.activeSet };
}

function markSeen(lastSeen: Readonly<Record<string, number>>, nodeKey: Hex, now: number): Record<string, number> {
  const key = keyOf(nodeKey);
  return { ...lastSeen, [key]: Math.max(lastSeen[key] ?? -Infinity, now) };
}

/** Node keys (lower case) heard from within the liveness window. */
export function liveNodes(state: RoundState, now: number): string[] {
  return Object.entries(state.lastSeen)
    .filter(([, seenAt]) => seenAt >= now - state.config.livenessMs)
    .map(([key]) => key)
    .sort();
}

/** Nodes that have done their part so far: committed while collecting, sent an update once closed. */
function reportedKeys(state: RoundState): Set<string> {
  if (state.phase === 'collecting') return new Set(state.commitments.map((commitment) => keyOf(commitment.nodeKey)));
  return new Set(state.phase === 'aggregating' ? state.updates.map((update) => keyOf(update.nodeKey)) : []);
}

/**
 * How many commitments the round needs now: `quorum`, lowered to the number of nodes that count
 * (those that committed this round, and active-set nodes not silent: heard from within the
 * liveness window, or not heard from at all yet), but never below `minQuorum`. Slashed and
 * exited nodes leave the active set; failed ones are left out of it by the coordinator.
 */
export function quorumNeeded(state: RoundState, now: number): number {
  const { quorum, livenessMs } = state.config;
  if (state.activeSet === null) return quorum;
  const counted = reportedKeys(state);
  for (const key of state.activeSet) {
    const seenAt = state.lastSeen[key];
    if (seenAt === undefined || seenAt >= now - livenessMs) counted.add(key);
  }
  return Math.max(quorumFloor(state.config), Math.min(quorum, counted.size));
}

/** The first entry of each node, in order. */
function firstPerNode<T extends { nodeKey: Hex }>(entries: readonly T[]): T[] {
  const first = new Map<string, T>();
  for (const entry of entries) if (!first.has(keyOf(entry.nodeKey))) first.set(keyOf(entry.nodeKey), entry);
  return [...first.values()];
}

function byDigest(a: AcceptedUpdate, b: AcceptedUpdate): number {
  const left = a.digest.toLowerCase();
  const right = b.digest.toLowerCase();
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Every live node committed (a live node outside the active set, say one just slashed, is not waited for). */
function allLiveNodesCommitted(state: CollectingState, now: number): boolean {
  const reported = reportedKeys(state);
  const active = state.activeSet === null ? null : new Set(state.activeSet);
  const live = liveNodes(state, now).filter((key) => active === null || active.has(key) || reported.has(key));
  return live.length > 0 && live.every((key) => reported.has(key));
}

function openRound(
  state: RoundState,
  opening: {
    round: number;
    baseHash: Hex;
    now: number;
    commitments?: readonly AcceptedCommitment[];
    updates?: readonly AcceptedUpdate[];
    reopened: boolean;
    openedAt?: number;
    revealedAt?: number | null;
  },
): StepResult {
  const { round, baseHash, now, reopened } = opening;
  const openedAt = opening.openedAt ?? now;
  const revealedAt = opening.revealedAt ?? null;
  const next: CollectingState = {
    phase: 'collecting',
    ...carried(state),
    round,
    baseHash,
    stage: revealedAt === null ? 'commit' : 'reveal',
    openedAt,
    revealedAt,
    commitments: opening.commitments ?? [],
    updates: opening.updates ?? [],
  };
  const effects: RoundEffect[] = [{ type: 'openRound', round, baseHash, openedAt, deadline: openedAt + state.config.deadlineMs, reopened }];
  if (revealedAt !== null) effects.push(revealEffect(next, revealedAt, 'deadline'));
  return closeIfDue(next, now, effects);
}

function revealEffect(state: CollectingState, revealedAt: number, reason: RevealReason): RoundEffect {
  return { type: 'openReveal', round: state.round, baseHash: state.baseHash, revealedAt, deadline: revealedAt + state.config.revealMs, reason };
}

/** Re-announces the round's commit stage on the same model from `now`, keeping what it took. */
function reannounce(state: CollectingState, now: number, effects: RoundEffect[]): StepResult {
  const { round, baseHash, config } = state;
  const reopened: RoundEffect = { type: 'openRound', round, baseHash, openedAt: now, deadline: now + config.deadlineMs, reopened: true };
  return { state: { ...state, stage: 'commit', openedAt: now, revealedAt: null }, effects: [...effects, reopened] };
}

/**
 * Moves the round on when it is due. In the commit stage: opens the reveal once it has the
 * commitments it needs now and either its deadline has passed or every live node has committed;
 * once it has waited its longest, opens it with at least `minQuorum` commitments or else
 * re-announces the round. In the reveal stage: closes the round once every committed update
 * arrived, or when the reveal's time is up with at least `minQuorum` updates; with fewer, the
 * round takes commitments again (keeping what it has).
 */
function closeIfDue(state: CollectingState, now: number, effects: RoundEffect[] = []): StepResult {
  const { config } = state;
  if (state.stage === 'commit') {
    const committed = state.commitments.length;
    const waitedLongest = now >= state.openedAt + config.maxWaitMs;
    let reason: RevealReason | null = null;
    if (committed >= quorumNeeded(state, now)) {
      if (now >= state.openedAt + config.deadlineMs) reason = 'deadline';
      else if (config.closeWhenAllReported && allLiveNodesCommitted(state, now)) reason = 'all-reported';
    } else if (waitedLongest && committed >= quorumFloor(config)) {
      reason = 'max-wait';
    }
    if (reason === null) return waitedLongest ? reannounce(state, now, effects) : { state, effects };
    const revealing: CollectingState = { ...state, stage: 'reveal', revealedAt: now };
    return closeIfDue(revealing, now, [...effects, revealEffect(revealing, now, reason)]);
  }
  const allRevealed = state.updates.length >= state.commitments.length;
  const revealOver = now >= (state.revealedAt ?? now) + config.revealMs;
  const enough = state.updates.length >= quorumFloor(config);
  if (enough && (allRevealed || revealOver)) {
    const updates = [...state.updates].sort(byDigest);
    const { round, baseHash } = state;
    const next: AggregatingState = { phase: 'aggregating', ...carried(state), round, baseHash, updates, closedAt: now };
    return { state: next, effects: [...effects, { type: 'aggregate', round, baseHash, updates, reason: allRevealed ? 'all-revealed' : 'reveal-deadline' }] };
  }
  return revealOver ? reannounce(state, now, effects) : { state, effects };
}

function halted(state: RoundState, round: number, reason: string): StepResult {
  return {
    state: { phase: 'halted', ...carried(state), round, reason },
    effects: [{ type: 'halt', round, reason }],
  };
}

/** The first commit attempt of an aggregated round. */
function startCommit(state: RoundState, round: number, baseHash: Hex, modelHash: Hex): StepResult {
  return {
    state: { phase: 'committing', ...carried(state), round, baseHash, modelHash, attempt: 1, retryAt: null },
    effects: [{ type: 'commit', round, baseHash, modelHash, attempt: 1 }],
  };
}

function ignored(state: RoundState, event: RoundEvent, reason: string): StepResult {
  return { state, effects: [{ type: 'eventIgnored', event: event.type, phase: state.phase, reason }] };
}

function onUpdate(state: RoundState, event: Extract<RoundEvent, { type: 'updateAccepted' }>): StepResult {
  const seen = { ...state, lastSeen: markSeen(state.lastSeen, event.nodeKey, event.now) } as RoundState;
  const { round, nodeKey, digest } = event;
  if (seen.phase !== 'collecting') return { state: seen, effects: [{ type: 'updateIgnored', round, nodeKey, digest, reason: 'not-collecting' }] };
  if (round !== seen.round) return { state: seen, effects: [{ type: 'updateIgnored', round, nodeKey, digest, reason: 'wrong-round' }] };
  const earlier = seen.updates.find((update) => keyOf(update.nodeKey) === keyOf(nodeKey));
  if (earlier) {
    if (earlier.digest.toLowerCase() === digest.toLowerCase()) {
      return { state: seen, effects: [{ type: 'updateIgnored', round, nodeKey, digest, reason: 'duplicate' }] };
    }
    return { state: seen, effects: [{ type: 'equivocation', round, nodeKey, firstDigest: earlier.digest, secondDigest: digest }] };
  }
  // Only the update a node committed to before the reveal counts, whenever it arrives: one sent
  // early exposes its own payload, and a copy committed after it seen is committed later (the
  // scoring pays the earlier commitment).
  const commitment = seen.commitments.find((candidate) => keyOf(candidate.nodeKey) === keyOf(nodeKey));
  if (commitment === undefined || commitment.digest.toLowerCase() !== digest.toLowerCase()) {
    return { state: seen, effects: [{ type: 'updateIgnored', round, nodeKey, digest, reason: 'uncommitted' }] };
  }
  return closeIfDue({ ...seen, updates: [...seen.updates, { nodeKey, digest }] }, event.now);
}

function onCommitment(state: RoundState, event: Extract<RoundEvent, { type: 'commitmentAccepted' }>): StepResult {
  const seen = { ...state, lastSeen: markSeen(state.lastSeen, event.nodeKey, event.now) } as RoundState;
  const { round, nodeKey, digest } = event;
  const refused = (reason: IgnoredCommitmentReason): StepResult => ({ state: seen, effects: [{ type: 'commitmentIgnored', round, nodeKey, digest, reason }] });
  if (seen.phase !== 'collecting') return refused('not-collecting');
  if (round !== seen.round) return refused('wrong-round');
  const earlier = seen.commitments.find((commitment) => keyOf(commitment.nodeKey) === keyOf(nodeKey));
  if (earlier) return refused(earlier.digest.toLowerCase() === digest.toLowerCase() ? 'duplicate' : 'conflict');
  if (seen.stage === 'reveal') return refused('commit_late');
  return closeIfDue({ ...seen, commitments: [...seen.commitments, { nodeKey, digest }] }, event.now);
}

function onTick(state: RoundState, now: number): StepResult {
  // Forget nodes long gone, so the state stays as small as the live network; active-set nodes
  // are remembered, since one heard from once and silent since no longer counts towards the quorum.
  const horizon = now - state.config.livenessMs;
  const active = new Set(state.activeSet ?? []);
  const lastSeen = Object.fromEntries(Object.entries(state.lastSeen).filter(([key, seenAt]) => seenAt >= horizon || active.has(key)));
  const pruned = { ...state, lastSeen } as RoundState;
  if (pruned.phase === 'collecting') return closeIfDue(pruned, now);
  if (pruned.phase === 'committing' && pruned.retryAt !== null && now >= pruned.retryAt) {
    const attempt = pruned.attempt + 1;
    return {
      state: { ...pruned, attempt, retryAt: null },
      effects: [{ type: 'commit', round: pruned.round, baseHash: pruned.baseHash, modelHash: pruned.modelHash, attempt }],
    };
  }
  return { state: pruned, effects: [] };
}

/**
 * The round state machine: given a state and an event, the next state and the effects the
 * coordinator must carry out (in order). Pure: no clock, no I/O, inputs are never mutated.
 * Events that do not apply to the current phase leave the state as it is and say so in an
 * `eventIgnored` (or `updateIgnored`) effect, since late receipts and stray updates are normal
 * in a network, not errors.
 */
export function step(state: RoundState, event: RoundEvent): StepResult {
  switch (event.type) {
    case 'heartbeat': {
      const seen = { ...state, lastSeen: markSeen(state.lastSeen, event.nodeKey, event.now) } as RoundState;
      return seen.phase === 'collecting' ? closeIfDue(seen, event.now) : { state: seen, effects: [] };
    }
    case 'activeSet': {
      const next = { ...state, activeSet: [...new Set(event.nodeKeys.map(keyOf))].sort() } as RoundState;
      return next.phase === 'collecting' ? closeIfDue(next, event.now) : { state: next, effects: [] };
    }
    case 'tick':
      return onTick(state, event.now);
    case 'updateAccepted':
      return onUpdate(state, event);
    case 'commitmentAccepted':
      return onCommitment(state, event);
    case 'start': {
      if (state.phase !== 'idle') return ignored(state, event, 'a round is already running');
      const commitments = firstPerNode(event.commitments ?? []);
      const committed = new Map(commitments.map((commitment) => [keyOf(commitment.nodeKey), commitment.digest.toLowerCase()]));
      const updates = firstPerNode(event.accepted ?? []).filter((update) => committed.get(keyOf(update.nodeKey)) === update.digest.toLowerCase());
      const { round, baseHash, now, openedAt, revealedAt } = event;
      return openRound(state, { round, baseHash, now, commitments, updates, reopened: false, openedAt, revealedAt });
    }
    case 'resumeCommit': {
      if (state.phase !== 'idle') return ignored(state, event, 'a round is already running');
      return startCommit(state, event.round, event.baseHash, event.modelHash);
    }
    case 'aggregated': {
      if (state.phase !== 'aggregating' || state.round !== event.round) {
        return ignored(state, event, 'no aggregation of this round is running');
      }
      return startCommit(state, state.round, state.baseHash, event.modelHash);
    }
    case 'aggregationFailed': {
      if (state.phase !== 'aggregating' || state.round !== event.round) {
        return ignored(state, event, 'no aggregation of this round is running');
      }
      const forget: RoundEffect = { type: 'forgetRound', round: state.round };
      const reopened = openRound(state, { round: state.round, baseHash: state.baseHash, now: event.now, reopened: true });
      return { state: reopened.state, effects: [forget, ...reopened.effects] };
    }
    case 'commitConfirmed': {
      if (state.phase !== 'committing' || state.round !== event.round) return ignored(state, event, 'no commit of this round is pending');
      const { round, baseHash, modelHash } = state;
      if (modelHash.toLowerCase() !== event.modelHash.toLowerCase()) {
        return halted(state, round, `round ${round} is on chain with model ${event.modelHash}, but this coordinator aggregated ${modelHash}`);
      }
      const announced: RoundEffect = { type: 'announceModel', round, modelHash, baseHash, txHash: event.txHash };
      const opened = openRound(state, { round: round + 1, baseHash: modelHash, now: event.now, updates: [], reopened: false });
      return { state: opened.state, effects: [announced, ...opened.effects] };
    }
    case 'commitFailed': {
      if (state.phase !== 'committing' || state.round !== event.round || state.retryAt !== null || state.attempt !== event.attempt) {
        return ignored(state, event, 'that commit attempt is not in flight');
      }
      if (!event.retryable) {
        return halted(state, state.round, `committing round ${state.round} failed and retrying cannot help: ${event.error}`);
      }
      const at = event.now + commitRetryDelay(state.config, state.attempt);
      return {
        state: { ...state, retryAt: at },
        effects: [{ type: 'commitRetryScheduled', round: state.round, attempt: state.attempt + 1, at, error: event.error }],
      };
    }
  }
}

/**
 * The earliest time at which a `tick` could change the state, as seen at `now` (a deadline, the
 * longest wait, a node going silent, a commit retry), or null when only other events can; the
 * coordinator sets its timer from this instead of polling.
 */
export function nextWakeAt(state: RoundState, now: number): number | null {
  if (state.phase === 'committing') return state.retryAt;
  if (state.phase !== 'collecting') return null;
  const { config } = state;
  if (state.stage === 'reveal') return (state.revealedAt ?? now) + config.revealMs;
  const longest = state.openedAt + config.maxWaitMs;
  if (state.commitments.length < quorumFloor(config)) return longest;
  // Nodes that have not reported and are live now: going silent may lower the quorum needed
  // or leave every live node reported.
  const reported = reportedKeys(state);
  const waitingFor = Object.entries(state.lastSeen).filter(([key, seenAt]) => !reported.has(key) && seenAt >= now - config.livenessMs);
  const silentAt = ([, seenAt]: [string, number]): number => seenAt + config.livenessMs + 1;
  if (state.commitments.length < quorumNeeded(state, now)) {
    const active = new Set(state.activeSet ?? []);
    return Math.min(longest, ...waitingFor.filter(([key]) => active.has(key)).map(silentAt));
  }
  const deadline = state.openedAt + config.deadlineMs;
  if (!config.closeWhenAllReported) return Math.min(longest, deadline);
  return Math.min(longest, deadline, ...waitingFor.map(silentAt));
}
