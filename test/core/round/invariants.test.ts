import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import { initialRoundState, nextWakeAt, quorumFloor, quorumNeeded, step, type RoundEffect, type RoundEvent, type RoundState } from '../../../core/round/index.ts';
import { seededRandom } from '../../support/random.ts';

const hex = (value: number, bytes: number): Hex => `0x${value.toString(16).padStart(bytes * 2, '0')}`;

/**
 * Drives the machine with thousands of random interleavings of commitments and updates (fresh,
 * duplicate, equivocating, uncommitted, stale), heartbeats, ticks and the coordinator's answers
 * to its effects (delayed, failed, duplicated, stray), and checks after every step the
 * properties the coordinator relies on: one commit in flight at a time, every round committed
 * once and in order, no commitment taken once the reveal opened, every reveal over at least the
 * quorum of commitments needed (which follows the active set, never below minQuorum) and below
 * it only after the longest wait, every aggregate over at least minQuorum updates of the current
 * round, one per node, each the one its node committed to before the reveal.
 */
function simulate(seed: number): { rounds: number; halted: boolean } {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const quorum = 1 + Math.floor(random() * 4);
  const minQuorum = 1 + Math.floor(random() * 4);
  const config = { quorum, minQuorum, deadlineMs: 100, maxWaitMs: 400, revealMs: 60, livenessMs: 300, retryBaseMs: 10, retryMaxMs: 80, closeWhenAllReported: random() < 0.7 };
  let state: RoundState = initialRoundState(config);
  let now = 0;
  const pending: RoundEvent[] = [];
  let currentRound = 1;
  let committedThrough = 0;
  let openedAt = 0;
  let revealedAt: number | null = null;
  // The commitments the machine took this collection (node key -> committed digest).
  let committed = new Map<string, string>();
  let inFlightCommit = false;
  // Commit attempts whose answer the machine has not yet seen even once.
  const unanswered = new Set<number>();
  let commitsSent = 0;
  let halted = false;
  const modelOf = (round: number): Hex => hex(round * 7 + 1, 32);
  // Which commit attempt each pending answer belongs to, by its index in `pending`.
  let answerOf = new Map<number, number>();
  const shiftAnswers = (removed: number): void => {
    answerOf = new Map([...answerOf].filter(([index]) => index !== removed).map(([index, id]) => [index > removed ? index - 1 : index, id]));
  };

  const apply = (event: RoundEvent): void => {
    const before = structuredClone(state);
    const { state: next, effects } = step(state, event);
    assert.deepEqual(state, before, 'step mutated its input');
    if (event.type === 'commitmentAccepted' && state.phase === 'collecting' && state.stage === 'reveal' && event.round === state.round) {
      assert.deepEqual(effects.map((effect) => effect.type), ['commitmentIgnored'], 'a commitment taken once the reveal was open');
    }
    const took = event.type === 'commitmentAccepted' && !effects.some((effect) => effect.type === 'commitmentIgnored');
    state = next;
    if (took) committed.set(event.nodeKey.toLowerCase(), event.digest.toLowerCase());
    for (const effect of effects) check(effect, event.now);
    if (state.phase === 'collecting') {
      const keys = state.updates.map((u) => u.nodeKey.toLowerCase());
      assert.equal(new Set(keys).size, keys.length, 'two updates from one node');
    }
    const wake = nextWakeAt(state, event.now);
    assert.ok(wake === null || Number.isFinite(wake));
    if (state.phase === 'collecting') {
      const latest = revealedAt === null ? openedAt + config.maxWaitMs : revealedAt + config.revealMs;
      assert.ok(wake !== null && wake <= latest, 'a round waits past its longest wait or its reveal');
    }
  };

  const check = (effect: RoundEffect, at: number): void => {
    assert.ok(!halted || effect.type === 'updateIgnored' || effect.type === 'commitmentIgnored' || effect.type === 'eventIgnored', `${effect.type} after halt`);
    switch (effect.type) {
      case 'openRound':
        assert.equal(effect.round, committedThrough + 1);
        if (!effect.reopened) committed = new Map();
        currentRound = effect.round;
        openedAt = effect.openedAt;
        revealedAt = null;
        break;
      case 'forgetRound':
        committed = new Map();
        break;
      case 'openReveal':
        assert.equal(effect.round, currentRound);
        revealedAt = effect.revealedAt;
        assert.ok(committed.size >= quorumFloor(state.config), 'reveal below minQuorum');
        if (effect.reason === 'max-wait') assert.ok(at >= openedAt + config.maxWaitMs, 'revealed below quorum before the longest wait');
        else assert.ok(committed.size >= quorumNeeded(state, at), 'reveal below the quorum needed');
        break;
      case 'aggregate': {
        assert.equal(effect.round, currentRound);
        assert.ok(effect.updates.length >= quorumFloor(state.config), 'aggregate below minQuorum');
        for (const update of effect.updates) assert.equal(committed.get(update.nodeKey.toLowerCase()), update.digest.toLowerCase(), 'an update aggregated that its node did not commit to');
        revealedAt = null;
        const digests = effect.updates.map((u) => u.digest.toLowerCase());
        assert.deepEqual(digests, [...digests].sort(), 'aggregate not in digest order');
        pending.push(
          random() < 0.1
            ? { type: 'aggregationFailed', now, round: effect.round, reason: 'unusable' }
            : { type: 'aggregated', now, round: effect.round, modelHash: modelOf(effect.round) },
        );
        break;
      }
      case 'commit':
        assert.ok(!inFlightCommit, 'a second commit while one is in flight');
        assert.equal(unanswered.size, 0, 'a commit sent before the previous attempt was answered');
        assert.equal(effect.round, committedThrough + 1, 'commit out of order');
        assert.equal(effect.modelHash, modelOf(effect.round));
        inFlightCommit = true;
        commitsSent += 1;
        unanswered.add(commitsSent);
        answerOf.set(
          pending.push(
            random() < 0.4
              ? { type: 'commitFailed', now, round: effect.round, attempt: effect.attempt, error: 'rpc down', retryable: random() < 0.97 }
              : { type: 'commitConfirmed', now, round: effect.round, modelHash: effect.modelHash },
          ) - 1,
          commitsSent,
        );
        break;
      case 'commitRetryScheduled':
        inFlightCommit = false;
        assert.ok(effect.at > now);
        break;
      case 'announceModel':
        assert.equal(effect.round, committedThrough + 1, 'a round announced twice or out of order');
        committedThrough = effect.round;
        inFlightCommit = false;
        break;
      case 'halt':
        halted = true;
        inFlightCommit = false;
        break;
      default:
        break;
    }
  };

  apply({ type: 'start', now, round: 1, baseHash: hex(0, 32) });
  for (let i = 0; i < 600; i++) {
    now += Math.floor(random() * 40);
    const roll = random();
    if (roll < 0.35) {
      const n = Math.floor(random() * 6);
      const round = random() < 0.9 ? currentRound : currentRound + pick([-1, 1]);
      const digest = random() < 0.9 ? hex(n * 1000 + round, 32) : hex(n * 1000 + round + 500, 32);
      apply({ type: random() < 0.5 ? 'commitmentAccepted' : 'updateAccepted', now, round, nodeKey: hex(n + 1, 20), digest });
    } else if (roll < 0.47) {
      apply({ type: 'heartbeat', now, nodeKey: hex(Math.floor(random() * 6) + 1, 20) });
    } else if (roll < 0.5) {
      // Nodes are slashed, exit, fail and come back: the active set is any subset of them.
      apply({ type: 'activeSet', now, nodeKeys: [1, 2, 3, 4, 5, 6].filter(() => random() < 0.6).map((n) => hex(n, 20)) });
    } else if (roll < 0.8 || pending.length === 0) {
      apply({ type: 'tick', now });
    } else {
      // Answers arrive late, sometimes twice (a duplicated receipt must change nothing).
      const index = Math.floor(random() * pending.length);
      const event = { ...pending[index], now } as RoundEvent;
      const answered = answerOf.get(index);
      if (answered !== undefined) unanswered.delete(answered);
      if (random() < 0.9) {
        pending.splice(index, 1);
        shiftAnswers(index);
      }
      apply(event);
    }
  }
  return { rounds: committedThrough, halted };
}

describe('round state machine under random interleavings', () => {
  it('keeps its invariants over 300 random runs', () => {
    let rounds = 0;
    for (let seed = 1; seed <= 300; seed++) {
      try {
        rounds += simulate(seed).rounds;
      } catch (error) {
        throw new Error(`seed ${seed}: ${(error as Error).message}`, { cause: error });
      }
    }
    // The runs must actually make progress, or the invariants were checked on nothing.
    assert.ok(rounds > 300 * 3, `only ${rounds} rounds committed`);
  });
});
