import type { Hex } from 'viem';
import { commitRetryDelay, parseRoundConfig, type RoundConfigInput } from './config.ts';
import type {
  AcceptedUpdate,
  AggregatingState,
  CollectingState,
  IdleState,
  RoundEffect,
  RoundEvent,
  RoundState,
  StepResult,
} from './types.ts';

/** A fresh state machine: idle until `start` (or `resumeCommit` after a crash). */
export function initialRoundState(config: RoundConfigInput = {}): IdleState {
  return { phase: 'idle', config: parseRoundConfig(config), lastSeen: {} };
}

function keyOf(nodeKey: Hex): string {
  return nodeKey.toLowerCase();
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

function byDigest(a: AcceptedUpdate, b: AcceptedUpdate): number {
  const left = a.digest.toLowerCase();
  const right = b.digest.toLowerCase();
  return left < right ? -1 : left > right ? 1 : 0;
}

function allLiveNodesReported(state: CollectingState, now: number): boolean {
  const live = liveNodes(state, now);
  const reported = new Set(state.updates.map((update) => keyOf(update.nodeKey)));
  return live.length > 0 && live.every((key) => reported.has(key));
}

function openRound(
  state: RoundState,
  opening: { round: number; baseHash: Hex; now: number; updates: readonly AcceptedUpdate[]; reopened: boolean; openedAt?: number },
): StepResult {
  const { round, baseHash, now, updates, reopened } = opening;
  const openedAt = opening.openedAt ?? now;
  const next: CollectingState = { phase: 'collecting', config: state.config, lastSeen: state.lastSeen, round, baseHash, openedAt, updates };
  const effects: RoundEffect[] = [{ type: 'openRound', round, baseHash, openedAt, deadline: openedAt + state.config.deadlineMs, reopened }];
  return closeIfDue(next, now, effects);
}

/**
 * Closes the round once it has quorum and either its deadline has passed or every live node has
 * reported; re-announces it on the same model when it waited its longest without quorum.
 */
function closeIfDue(state: CollectingState, now: number, effects: RoundEffect[] = []): StepResult {
  const { config } = state;
  if (state.updates.length >= config.quorum) {
    const deadlinePassed = now >= state.openedAt + config.deadlineMs;
    const allReported = !deadlinePassed && config.closeWhenAllReported && allLiveNodesReported(state, now);
    if (!deadlinePassed && !allReported) return { state, effects };
    const reason = deadlinePassed ? 'deadline' : 'all-reported';
    const updates = [...state.updates].sort(byDigest);
    const { round, baseHash, lastSeen } = state;
    const next: AggregatingState = { phase: 'aggregating', config, lastSeen, round, baseHash, updates, closedAt: now };
    return { state: next, effects: [...effects, { type: 'aggregate', round, baseHash, updates, reason }] };
  }
  if (now >= state.openedAt + config.maxWaitMs) {
    const { round, baseHash } = state;
    const reopened: RoundEffect = { type: 'openRound', round, baseHash, openedAt: now, deadline: now + config.deadlineMs, reopened: true };
    return { state: { ...state, openedAt: now }, effects: [...effects, reopened] };
  }
  return { state, effects };
}

function halted(state: RoundState, round: number, reason: string): StepResult {
  return {
    state: { phase: 'halted', config: state.config, lastSeen: state.lastSeen, round, reason },
    effects: [{ type: 'halt', round, reason }],
  };
}

/** The first commit attempt of an aggregated round. */
function startCommit(state: RoundState, round: number, baseHash: Hex, modelHash: Hex): StepResult {
  return {
    state: { phase: 'committing', config: state.config, lastSeen: state.lastSeen, round, baseHash, modelHash, attempt: 1, retryAt: null },
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
  // Forget nodes long gone, so the state stays as small as the live network.
  const horizon = now - state.config.livenessMs;
  const lastSeen = Object.fromEntries(Object.entries(state.lastSeen).filter(([, seenAt]) => seenAt >= horizon));
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
 * The earliest time at which a `tick` could change the state (a deadline, the longest wait, a
 * live node going stale, a commit retry), or null when only other events can; the coordinator
 * sets its timer from this instead of polling.
 */
export function nextWakeAt(state: RoundState): number | null {
  if (state.phase === 'committing') return state.retryAt;
  if (state.phase !== 'collecting') return null;
  const { config } = state;
  if (state.updates.length < config.quorum) return state.openedAt + config.maxWaitMs;
  const deadline = state.openedAt + config.deadlineMs;
  if (!config.closeWhenAllReported) return deadline;
  const reported = new Set(state.updates.map((update) => keyOf(update.nodeKey)));
  const staleAt = Object.entries(state.lastSeen)
    .filter(([key]) => !reported.has(key))
    .map(([, seenAt]) => seenAt + config.livenessMs + 1);
  return Math.min(deadline, ...staleAt);
}
