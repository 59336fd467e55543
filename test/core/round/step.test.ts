import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import {
  RoundConfigError,
  commitRetryDelay,
  initialRoundState,
  nextWakeAt,
  parseRoundConfig,
  quorumFloor,
  quorumNeeded,
  step,
  type RoundEffect,
  type RoundEvent,
  type RoundState,
} from '../../../core/round/index.ts';
import { runSteps } from '../../support/state-machine.ts';

const config = { quorum: 2, deadlineMs: 1_000, maxWaitMs: 5_000, livenessMs: 3_000, retryBaseMs: 100, retryMaxMs: 400 };
const node = (i: number): Hex => `0x${i.toString(16).padStart(40, '0')}`;
const digest = (i: number): Hex => `0x${i.toString(16).padStart(64, 'd')}`;
const GENESIS: Hex = `0x${'00'.repeat(32)}`;
const MODEL: Hex = `0x${'ab'.repeat(32)}`;

function run(events: readonly RoundEvent[], state: RoundState = initialRoundState(config)): { state: RoundState; effects: RoundEffect[] } {
  return runSteps(step, events, state);
}

const started: RoundEvent = { type: 'start', now: 0, round: 1, baseHash: GENESIS };
const update = (i: number, now: number, round = 1): RoundEvent => ({ type: 'updateAccepted', now, round, nodeKey: node(i), digest: digest(i) });

describe('round: collecting and closing', () => {
  it('opens the round with its deadline', () => {
    const { state, effects } = run([started]);
    assert.equal(state.phase, 'collecting');
    assert.deepEqual(effects, [{ type: 'openRound', round: 1, baseHash: GENESIS, openedAt: 0, deadline: 1_000, reopened: false }]);
  });

  it('waits for the deadline once quorum is met, then aggregates the updates sorted by digest', () => {
    const beforeDeadline = run([started, { type: 'heartbeat', now: 1, nodeKey: node(9) }, update(5, 10), update(3, 20), { type: 'tick', now: 999 }]);
    assert.equal(beforeDeadline.state.phase, 'collecting');
    const { state, effects } = run([{ type: 'tick', now: 1_000 }], beforeDeadline.state);
    assert.equal(state.phase, 'aggregating');
    assert.deepEqual(effects, [
      {
        type: 'aggregate',
        round: 1,
        baseHash: GENESIS,
        updates: [
          { nodeKey: node(3), digest: digest(3) },
          { nodeKey: node(5), digest: digest(5) },
        ],
        reason: 'deadline',
      },
    ]);
  });

  it('does not close at the deadline without quorum, and re-announces after the longest wait keeping its updates', () => {
    const { state, effects } = run([started, update(1, 10), { type: 'tick', now: 4_999 }, { type: 'tick', now: 5_000 }]);
    assert.equal(state.phase, 'collecting');
    assert.deepEqual(effects.at(-1), { type: 'openRound', round: 1, baseHash: GENESIS, openedAt: 5_000, deadline: 6_000, reopened: true });
    assert.equal(state.phase === 'collecting' && state.updates.length, 1);
    const closed = run([update(2, 5_100), { type: 'tick', now: 6_000 }], state);
    assert.equal(closed.state.phase, 'aggregating');
  });

  it('closes early when every live node has reported', () => {
    const { state, effects } = run([started, { type: 'heartbeat', now: 5, nodeKey: node(1) }, { type: 'heartbeat', now: 5, nodeKey: node(2) }, update(1, 10), update(2, 20)]);
    assert.equal(state.phase, 'aggregating');
    assert.deepEqual(effects.at(-1), {
      type: 'aggregate',
      round: 1,
      baseHash: GENESIS,
      updates: [
        { nodeKey: node(1), digest: digest(1) },
        { nodeKey: node(2), digest: digest(2) },
      ],
      reason: 'all-reported',
    });
  });

  it('waits for a live node that has not reported, until it goes stale', () => {
    const waiting = run([started, { type: 'heartbeat', now: 5, nodeKey: node(3) }, update(1, 10), update(2, 20)]);
    assert.equal(waiting.state.phase, 'collecting');
    assert.equal(nextWakeAt(waiting.state, 20), 1_000);
    const lateCheck = run([{ type: 'tick', now: 500 }], waiting.state);
    assert.equal(lateCheck.state.phase, 'collecting');
  });

  it('closes when the only silent live node goes stale before the deadline', () => {
    const long = { ...config, deadlineMs: 10_000, maxWaitMs: 20_000 };
    const waiting = run([started, { type: 'heartbeat', now: 5, nodeKey: node(3) }, update(1, 10), update(2, 20)], initialRoundState(long));
    assert.equal(nextWakeAt(waiting.state, 20), 5 + 3_000 + 1);
    const { state, effects } = run([{ type: 'tick', now: 3_006 }], waiting.state);
    assert.equal(state.phase, 'aggregating');
    assert.equal((effects[0] as { reason: string }).reason, 'all-reported');
  });

  it('never closes early when closeWhenAllReported is off', () => {
    const { state } = run([started, update(1, 10), update(2, 20)], initialRoundState({ ...config, closeWhenAllReported: false }));
    assert.equal(state.phase, 'collecting');
  });

  it('ignores duplicates, wrong rounds and late updates, and flags equivocation', () => {
    const { effects, state } = run([
      started,
      update(1, 10),
      update(1, 11),
      update(2, 12, 7),
      { type: 'updateAccepted', now: 13, round: 1, nodeKey: node(1), digest: digest(99) },
    ]);
    assert.deepEqual(effects.slice(1), [
      { type: 'updateIgnored', round: 1, nodeKey: node(1), digest: digest(1), reason: 'duplicate' },
      { type: 'updateIgnored', round: 7, nodeKey: node(2), digest: digest(2), reason: 'wrong-round' },
      { type: 'equivocation', round: 1, nodeKey: node(1), firstDigest: digest(1), secondDigest: digest(99) },
    ]);
    assert.equal(state.phase === 'collecting' && state.updates.length, 1);
    const closed = run([update(2, 20), { type: 'tick', now: 1_000 }, update(3, 1_001)], state);
    assert.deepEqual(closed.effects.at(-1), { type: 'updateIgnored', round: 1, nodeKey: node(3), digest: digest(3), reason: 'not-collecting' });
  });

  it('treats node keys case-insensitively', () => {
    const { effects } = run([started, update(10, 1), { type: 'updateAccepted', now: 2, round: 1, nodeKey: node(10).toUpperCase().replace('0X', '0x') as Hex, digest: digest(10) }]);
    assert.equal(effects.at(-1)?.type, 'updateIgnored');
  });
});

describe('round: liveness (the quorum follows the active set)', () => {
  const three = { ...config, quorum: 3 };
  const activeSet = (now: number, ...nodes: number[]): RoundEvent => ({ type: 'activeSet', now, nodeKeys: nodes.map(node) });

  it('closes with the nodes left when one leaves the active set (slashed, exited or failed)', () => {
    const waiting = run([started, activeSet(0, 1, 2, 3), update(1, 10), update(2, 20), { type: 'tick', now: 1_000 }], initialRoundState(three));
    assert.equal(waiting.state.phase, 'collecting', 'node 3 still counts: it is active and was never heard from');
    assert.equal(quorumNeeded(waiting.state, 1_000), 3);
    const { state, effects } = run([activeSet(1_200, 1, 2)], waiting.state);
    assert.equal(state.phase, 'aggregating');
    assert.equal((effects.at(-1) as { reason: string }).reason, 'deadline');
  });

  it('stops counting a node once it has been silent for livenessMs, and wakes up for that', () => {
    const waiting = run([started, activeSet(0, 1, 2, 3), { type: 'heartbeat', now: 5, nodeKey: node(3) }, update(1, 10), update(2, 20)], initialRoundState(three));
    assert.equal(nextWakeAt(waiting.state, 20), 5 + 3_000 + 1, 'not the longest wait: node 3 going silent lowers the quorum');
    assert.equal(run([{ type: 'tick', now: 3_005 }], waiting.state).state.phase, 'collecting');
    const { state, effects } = run([{ type: 'tick', now: 3_006 }], waiting.state);
    assert.equal(state.phase, 'aggregating');
    const closed = effects.at(-1);
    assert.equal(closed?.type === 'aggregate' && closed.updates.length, 2);
    // Remembered as silent through the next rounds until it is heard from again.
    const next = run([{ type: 'aggregated', now: 3_100, round: 1, modelHash: MODEL }, { type: 'commitConfirmed', now: 3_200, round: 1, modelHash: MODEL }, { type: 'tick', now: 9_000 }], state);
    const heard = (...nodes: number[]): RoundEvent[] => nodes.map((n) => ({ type: 'heartbeat', now: 9_000, nodeKey: node(n) }));
    assert.equal(quorumNeeded(run(heard(1, 2), next.state).state, 9_000), 2);
    assert.equal(quorumNeeded(run(heard(1, 2, 3), next.state).state, 9_000), 3);
  });

  it('closes after the longest wait with at least minQuorum updates instead of re-opening forever', () => {
    const { state, effects } = run([started, update(1, 10), update(2, 20), { type: 'tick', now: 4_999 }, { type: 'tick', now: 5_000 }], initialRoundState(three));
    assert.equal(state.phase, 'aggregating');
    assert.deepEqual(effects.map((effect) => effect.type), ['openRound', 'aggregate']);
    assert.equal((effects[1] as { reason: string }).reason, 'max-wait');
  });

  it('never needs fewer than minQuorum updates, however few nodes count', () => {
    const { state } = run([started, activeSet(0, 1), update(1, 10), { type: 'tick', now: 1_000 }, { type: 'tick', now: 5_000 }], initialRoundState({ ...three, minQuorum: 2 }));
    assert.equal(state.phase, 'collecting');
    assert.equal(quorumNeeded(state, 5_000), 2);
    assert.equal(state.phase === 'collecting' && state.openedAt, 5_000, 're-announced, keeping its update');
    const alone = run([started, activeSet(0, 1), update(1, 10), { type: 'tick', now: 1_000 }], initialRoundState({ ...three, minQuorum: 1 }));
    assert.equal(alone.state.phase, 'aggregating', 'with minQuorum 1 a lone node carries on');
  });

  it('counts a node that reported even when it has left the active set, and never waits for a live node outside it', () => {
    const { state } = run([started, activeSet(0, 1, 2, 3), update(1, 10), update(2, 20), update(3, 30), activeSet(40, 1, 2)], initialRoundState({ ...three, deadlineMs: 10_000, maxWaitMs: 20_000 }));
    assert.equal(state.phase, 'aggregating', 'node 3 reported: its update counts, and every live node has reported');
    const slashed = run([started, activeSet(0, 1, 2), { type: 'heartbeat', now: 1, nodeKey: node(4) }, update(1, 10), update(2, 20)], initialRoundState({ ...three, deadlineMs: 10_000, maxWaitMs: 20_000 }));
    assert.equal(slashed.state.phase, 'aggregating', 'node 4 is live but not active: not waited for');
  });
});

describe('round: restart', () => {
  it('resumes collecting with the stored updates and opening time, closing at once if due', () => {
    const accepted = [
      { nodeKey: node(1), digest: digest(1) },
      { nodeKey: node(2), digest: digest(2) },
      { nodeKey: node(1), digest: digest(7) },
    ];
    const { state, effects } = run([{ type: 'start', now: 2_000, round: 4, baseHash: MODEL, accepted, openedAt: 0 }]);
    assert.equal(state.phase, 'aggregating');
    assert.equal(effects[0].type, 'openRound');
    assert.deepEqual(effects[1], { type: 'aggregate', round: 4, baseHash: MODEL, updates: accepted.slice(0, 2), reason: 'deadline' });
  });

  it('resumes an aggregated round by committing it', () => {
    const { state, effects } = run([{ type: 'resumeCommit', now: 0, round: 4, baseHash: GENESIS, modelHash: MODEL }]);
    assert.equal(state.phase, 'committing');
    assert.deepEqual(effects, [{ type: 'commit', round: 4, baseHash: GENESIS, modelHash: MODEL, attempt: 1 }]);
  });

  it('refuses a second start', () => {
    const { effects } = run([started, started]);
    assert.equal(effects.at(-1)?.type, 'eventIgnored');
  });
});

describe('round: committing', () => {
  const aggregating = run([started, update(1, 10), update(2, 20), { type: 'tick', now: 1_000 }]).state;

  it('commits the aggregated model, then announces it and opens the next round on it', () => {
    const { state, effects } = run(
      [
        { type: 'aggregated', now: 1_100, round: 1, modelHash: MODEL },
        { type: 'commitConfirmed', now: 1_200, round: 1, modelHash: MODEL, txHash: '0x01' },
      ],
      aggregating,
    );
    assert.deepEqual(effects, [
      { type: 'commit', round: 1, baseHash: GENESIS, modelHash: MODEL, attempt: 1 },
      { type: 'announceModel', round: 1, modelHash: MODEL, baseHash: GENESIS, txHash: '0x01' },
      { type: 'openRound', round: 2, baseHash: MODEL, openedAt: 1_200, deadline: 2_200, reopened: false },
    ]);
    assert.equal(state.phase === 'collecting' && state.round, 2);
  });

  it('retries a failed commit with doubling, capped backoff, and accepts a late receipt', () => {
    const committing = run([{ type: 'aggregated', now: 1_100, round: 1, modelHash: MODEL }], aggregating).state;
    const { state, effects } = run(
      [
        { type: 'commitFailed', now: 2_000, round: 1, attempt: 1, error: 'ECONNREFUSED', retryable: true },
        { type: 'tick', now: 2_099 },
        { type: 'tick', now: 2_100 },
        { type: 'commitFailed', now: 2_200, round: 1, attempt: 2, error: 'ECONNREFUSED', retryable: true },
        { type: 'commitFailed', now: 2_201, round: 1, attempt: 2, error: 'twice', retryable: true },
        { type: 'tick', now: 2_400 },
        { type: 'commitFailed', now: 2_500, round: 1, attempt: 3, error: 'timeout', retryable: true },
        { type: 'commitFailed', now: 2_600, round: 1, attempt: 3, error: 'timeout', retryable: true },
      ],
      committing,
    );
    assert.deepEqual(
      effects.map((effect) => [effect.type, 'attempt' in effect ? effect.attempt : null, 'at' in effect ? effect.at : null]),
      [
        ['commitRetryScheduled', 2, 2_100],
        ['commit', 2, null],
        ['commitRetryScheduled', 3, 2_400],
        ['eventIgnored', null, null],
        ['commit', 3, null],
        ['commitRetryScheduled', 4, 2_900],
        ['eventIgnored', null, null],
      ],
    );
    assert.equal(nextWakeAt(state, 2_600), 2_900);
    const confirmed = run([{ type: 'commitConfirmed', now: 2_700, round: 1, modelHash: MODEL }], state);
    assert.equal(confirmed.state.phase === 'collecting' && confirmed.state.round, 2);
  });

  it('ignores a stale failure of an earlier attempt while a retry is in flight', () => {
    const committing = run([{ type: 'aggregated', now: 1_100, round: 1, modelHash: MODEL }], aggregating).state;
    const { state, effects } = run(
      [
        { type: 'commitFailed', now: 2_000, round: 1, attempt: 1, error: 'timeout', retryable: true },
        { type: 'tick', now: 2_100 },
        { type: 'commitFailed', now: 2_150, round: 1, attempt: 1, error: 'timeout, reported twice', retryable: true },
      ],
      committing,
    );
    assert.equal(effects.at(-1)?.type, 'eventIgnored');
    assert.equal(state.phase === 'committing' && state.retryAt, null);
  });

  it('halts on a non-retryable failure and on a receipt for another model', () => {
    const committing = run([{ type: 'aggregated', now: 1_100, round: 1, modelHash: MODEL }], aggregating).state;
    const failed = run([{ type: 'commitFailed', now: 2_000, round: 1, attempt: 1, error: 'AccessControlUnauthorizedAccount', retryable: false }], committing);
    assert.equal(failed.state.phase, 'halted');
    assert.match((failed.effects[0] as { reason: string }).reason, /AccessControlUnauthorizedAccount/);
    const other = run([{ type: 'commitConfirmed', now: 2_000, round: 1, modelHash: GENESIS }], committing);
    assert.equal(other.state.phase, 'halted');
    assert.equal(run([update(1, 3_000, 2), { type: 'tick', now: 9_999 }], other.state).state.phase, 'halted');
  });

  it('re-collects the round when aggregation fails', () => {
    const { state, effects } = run([{ type: 'aggregationFailed', now: 1_500, round: 1, reason: 'all updates unusable' }], aggregating);
    assert.equal(state.phase === 'collecting' && state.updates.length, 0);
    assert.deepEqual(effects, [{ type: 'openRound', round: 1, baseHash: GENESIS, openedAt: 1_500, deadline: 2_500, reopened: true }]);
  });

  it('ignores stray receipts and results for other rounds or phases', () => {
    for (const event of [
      { type: 'aggregated', now: 1, round: 2, modelHash: MODEL },
      { type: 'commitConfirmed', now: 1, round: 1, modelHash: MODEL },
      { type: 'commitFailed', now: 1, round: 1, attempt: 1, error: 'x', retryable: true },
      { type: 'aggregationFailed', now: 1, round: 9, reason: 'x' },
    ] as const) {
      const { state, effects } = run([event], aggregating);
      assert.equal(state, aggregating);
      assert.equal(effects[0].type, 'eventIgnored');
    }
  });
});

describe('round: configuration', () => {
  it('fills defaults and refuses inconsistent values', () => {
    assert.equal(parseRoundConfig({}).quorum, 3);
    assert.equal(parseRoundConfig({}).minQuorum, 2);
    assert.equal(quorumFloor(parseRoundConfig({ quorum: 1 })), 1, 'minQuorum never exceeds quorum');
    assert.throws(() => parseRoundConfig({ deadlineMs: 10, maxWaitMs: 5 }), RoundConfigError);
    assert.throws(() => parseRoundConfig({ quorum: 0 }), /quorum/);
    assert.throws(() => initialRoundState({ extra: 1 } as never), RoundConfigError);
    assert.deepEqual([1, 2, 3, 4, 40].map((attempt) => commitRetryDelay(parseRoundConfig(config), attempt)), [100, 200, 400, 400, 400]);
  });
});
