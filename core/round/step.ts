import type { Hex } from 'viem';
import { commitRetryDelay, parseRoundConfig, quorumFloor, type RoundConfigInput } from './config.ts';
import type {
  AcceptedUpdate,
  AggregatingState,
  CloseReason,
  CollectingState,
  IdleState,
  RoundEffect,
  RoundEvent,
  RoundState,
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

function reportedKeys(state: RoundState): Set<string> {
  return new Set(state.phase === 'collecting' || state.phase === 'aggregating' ? state.updates.map((update) => keyOf(update.nodeKey)) : []);
}

/**
 * How many updates the round needs now: `quorum`, lowered to the number of nodes that count
 * (those that reported this round, and active-set nodes not silent: heard from within the
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

function byDigest(a: AcceptedUpdate, b: AcceptedUpdate): number {
  const left = a.digest.toLowerCase();
  const right = b.digest.toLowerCase();
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Every live node reported (a live node outside the active set, say one just slashed, is not waited for). */
function allLiveNodesReported(state: CollectingState, now: number): boolean {
  const reported = reportedKeys(state);
  const active = state.activeSet === null ? null : new Set(state.activeSet);
  const live = liveNodes(state, now).filter((key) => active === null || active.has(key) || reported.has(key));
  return live.length > 0 && live.every((key) => reported.has(key));
}

function openRound(
  state: RoundState,
  opening: { round: number; baseHash: Hex; now: number; updates: readonly AcceptedUpdate[]; reopened: boolean; openedAt?: number },
): StepResult {
  const { round, baseHash, now, updates, reopened } = opening;
  const openedAt = opening.openedAt ?? now;
  const next: CollectingState = { phase: 'collecting', ...carried(state), round, baseHash, openedAt, updates };
  const effects: RoundEffect[] = [{ type: 'openRound', round, baseHash, openedAt, deadline: openedAt + state.config.deadlineMs, reopened }];
  return closeIfDue(next, now, effects);
}

/**
 * Closes the round once it has the quorum it needs now and either its deadline has passed or
 * every live node has reported; once it has waited its longest, closes it with at least
 * `minQuorum` updates or else re-announces it on the same model.
 */
function closeIfDue(state: CollectingState, now: number, effects: RoundEffect[] = []): StepResult {
  const { config } = state;
  const deadlinePassed = now >= state.openedAt + config.deadlineMs;
  const waitedLongest = now >= state.openedAt + config.maxWaitMs;
  let reason: CloseReason | null = null;
  if (state.updates.length >= quorumNeeded(state, now)) {
    if (deadlinePassed) reason = 'deadline';
    else if (config.closeWhenAllReported && allLiveNodesReported(state, now)) reason = 'all-reported';
  } else if (waitedLongest && state.updates.length >= quorumFloor(config)) {
    reason = 'max-wait';
  }
  if (reason !== null) {
    const updates = [...state.updates].sort(byDigest);
    const { round, baseHash } = state;
    const next: AggregatingState = { phase: 'aggregating', ...carried(state), round, baseHash, updates, closedAt: now };
    return { state: next, effects: [...effects, { type: 'aggregate', round, baseHash, updates, reason }] };
  }
  if (waitedLongest) {
    const { round, baseHash } = state;
    const reopened: RoundEffect = { type: 'openRound', round, baseHash, openedAt: now, deadline: now + config.deadlineMs, reopened: true };
    return { state: { ...state, openedAt: now }, effects: [...effects, reopened] };
  }
  return { state, effects };
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
  return closeIfDue({ ...seen, updates: [...seen.updates, { nodeKey, digest }] }, event.now);
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
    case 'start': {
      if (state.phase !== 'idle') return ignored(state, event, 'a round is already running');
      const firstPerNode = new Map<string, AcceptedUpdate>();
      for (const update of event.accepted ?? []) if (!firstPerNode.has(keyOf(update.nodeKey))) firstPerNode.set(keyOf(update.nodeKey), update);
      const updates = [...firstPerNode.values()];
      return openRound(state, { round: event.round, baseHash: event.baseHash, now: event.now, updates, reopened: false, openedAt: event.openedAt });
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
      return openRound(state, { round: state.round, baseHash: state.baseHash, now: event.now, updates: [], reopened: true });
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
  const longest = state.openedAt + config.maxWaitMs;
  if (state.updates.length < quorumFloor(config)) return longest;
  // Nodes that have not reported and are live now: going silent may lower the quorum needed
  // or leave every live node reported.
  const reported = reportedKeys(state);
  const waitingFor = Object.entries(state.lastSeen).filter(([key, seenAt]) => !reported.has(key) && seenAt >= now - config.livenessMs);
  const silentAt = ([, seenAt]: [string, number]): number => seenAt + config.livenessMs + 1;
  if (state.updates.length < quorumNeeded(state, now)) {
    const active = new Set(state.activeSet ?? []);
    return Math.min(longest, ...waitingFor.filter(([key]) => active.has(key)).map(silentAt));
  }
  const deadline = state.openedAt + config.deadlineMs;
  if (!config.closeWhenAllReported) return Math.min(longest, deadline);
  return Math.min(longest, deadline, ...waitingFor.map(silentAt));
}
