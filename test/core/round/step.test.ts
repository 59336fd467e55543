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

const config = { quorum: 2, deadlineMs: 1_000, maxWaitMs: 5_000, revealMs: 500, livenessMs: 3_000, retryBaseMs: 100, retryMaxMs: 400 };
const node = (i: number): Hex => `0x${i.toString(16).padStart(40, '0')}`;
const digest = (i: number): Hex => `0x${i.toString(16).padStart(64, 'd')}`;
const GENESIS: Hex = `0x${'00'.repeat(32)}`;
const MODEL: Hex = `0x${'ab'.repeat(32)}`;

function run(events: readonly RoundEvent[], state: RoundState = initialRoundState(config)): { state: RoundState; effects: RoundEffect[] } {
  return runSteps(step, events, state);
}

const started: RoundEvent = { type: 'start', now: 0, round: 1, baseHash: GENESIS };
const commit = (i: number, now: number, round = 1, committed = digest(i)): RoundEvent => ({ type: 'commitmentAccepted', now, round, nodeKey: node(i), digest: committed });
const update = (i: number, now: number, round = 1): RoundEvent => ({ type: 'updateAccepted', now, round, nodeKey: node(i), digest: digest(i) });
const stageOf = (state: RoundState): string => (state.phase === 'collecting' ? state.stage : state.phase);

describe('round: taking commitments, then the committed updates', () => {
  it('opens the round with its deadline, taking commitments', () => {
    const { state, effects } = run([started]);
    assert.equal(stageOf(state), 'commit');
    assert.deepEqual(effects, [{ type: 'openRound', round: 1, baseHash: GENESIS, openedAt: 0, deadline: 1_000, reopened: false }]);
  });

  it('opens the reveal at the deadline once quorum has committed, then aggregates the committed updates sorted by digest', () => {
    const beforeDeadline = run([started, { type: 'heartbeat', now: 1, nodeKey: node(9) }, commit(5, 10), commit(3, 20), { type: 'tick', now: 999 }]);
    assert.equal(stageOf(beforeDeadline.state), 'commit');
    const revealing = run([{ type: 'tick', now: 1_000 }], beforeDeadline.state);
    assert.equal(stageOf(revealing.state), 'reveal');
    assert.deepEqual(revealing.effects, [{ type: 'openReveal', round: 1, baseHash: GENESIS, revealedAt: 1_000, deadline: 1_500, reason: 'deadline' }]);
    assert.equal(nextWakeAt(revealing.state, 1_000), 1_500);
    const { state, effects } = run([update(5, 1_100), update(3, 1_200)], revealing.state);
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
        reason: 'all-revealed',
      },
    ]);
  });

  it('refuses a commitment once the reveal is open, and an update that matches no commitment, whatever its arrival', () => {
    const revealing = run([started, commit(1, 10), commit(2, 20)]).state;
    assert.equal(stageOf(revealing), 'reveal');
    const { state, effects } = run([commit(3, 21), update(3, 22), { type: 'updateAccepted', now: 23, round: 1, nodeKey: node(2), digest: digest(22) }, update(1, 24)], revealing);
    assert.deepEqual(effects, [
      { type: 'commitmentIgnored', round: 1, nodeKey: node(3), digest: digest(3), reason: 'commit_late' },
      { type: 'updateIgnored', round: 1, nodeKey: node(3), digest: digest(3), reason: 'uncommitted' },
      { type: 'updateIgnored', round: 1, nodeKey: node(2), digest: digest(22), reason: 'uncommitted' },
    ]);
    assert.equal(state.phase === 'collecting' && state.updates.length, 1);
  });

  it('takes a committed update sent before the reveal (its sender exposed only itself), keeps the first commitment of a node', () => {
    const { state, effects } = run([started, commit(1, 10), update(1, 11), commit(1, 12), commit(1, 13, 1, digest(77))]);
    assert.deepEqual(effects.slice(1), [
      { type: 'commitmentIgnored', round: 1, nodeKey: node(1), digest: digest(1), reason: 'duplicate' },
      { type: 'commitmentIgnored', round: 1, nodeKey: node(1), digest: digest(77), reason: 'conflict' },
    ]);
    assert.equal(state.phase === 'collecting' && state.updates.length, 1);
  });

  it('closes at the end of the reveal with the updates that came (at least minQuorum); who never revealed misses the round', () => {
    const waitingFor9: RoundEvent = { type: 'heartbeat', now: 1, nodeKey: node(9) };
    const revealing = run([started, waitingFor9, commit(1, 10), commit(2, 20), commit(3, 30), { type: 'tick', now: 1_000 }, update(1, 1_100), update(2, 1_200)]).state;
    assert.equal(stageOf(revealing), 'reveal');
    const { state, effects } = run([{ type: 'tick', now: 1_500 }], revealing);
    assert.equal(state.phase, 'aggregating');
    assert.deepEqual(effects.at(-1), { type: 'aggregate', round: 1, baseHash: GENESIS, updates: [{ nodeKey: node(1), digest: digest(1) }, { nodeKey: node(2), digest: digest(2) }], reason: 'reveal-deadline' });
  });

  it('takes commitments again when too few committed updates came by the end of the reveal, keeping what it has', () => {
    const revealing = run([started, { type: 'heartbeat', now: 1, nodeKey: node(9) }, commit(1, 10), commit(2, 20), { type: 'tick', now: 1_000 }, update(1, 1_100)]).state;
    const { state, effects } = run([{ type: 'tick', now: 1_500 }], revealing);
    assert.equal(stageOf(state), 'commit');
    assert.deepEqual(effects, [{ type: 'openRound', round: 1, baseHash: GENESIS, openedAt: 1_500, deadline: 2_500, reopened: true }]);
    assert.equal(state.phase === 'collecting' && state.commitments.length, 2);
    const closed = run([commit(3, 1_600), { type: 'tick', now: 2_500 }, update(2, 2_600)], state);
    assert.equal(closed.state.phase, 'collecting', 'node 3 has not revealed yet');
    assert.equal(run([update(3, 2_700)], closed.state).state.phase, 'aggregating');
  });

  it('does not reveal at the deadline without quorum, and re-announces after the longest wait keeping its commitments', () => {
    const { state, effects } = run([started, commit(1, 10), { type: 'tick', now: 4_999 }, { type: 'tick', now: 5_000 }]);
    assert.equal(stageOf(state), 'commit');
    assert.deepEqual(effects.at(-1), { type: 'openRound', round: 1, baseHash: GENESIS, openedAt: 5_000, deadline: 6_000, reopened: true });
    assert.equal(state.phase === 'collecting' && state.commitments.length, 1);
    const revealed = run([commit(2, 5_100)], state);
    assert.equal(stageOf(revealed.state), 'reveal');
  });

  it('reveals early when every live node has committed', () => {
    const { state, effects } = run([started, { type: 'heartbeat', now: 5, nodeKey: node(1) }, { type: 'heartbeat', now: 5, nodeKey: node(2) }, commit(1, 10), commit(2, 20)]);
    assert.equal(stageOf(state), 'reveal');
    assert.deepEqual(effects.at(-1), { type: 'openReveal', round: 1, baseHash: GENESIS, revealedAt: 20, deadline: 520, reason: 'all-reported' });
  });

  it('waits for a live node that has not committed, until it goes stale', () => {
    const waiting = run([started, { type: 'heartbeat', now: 5, nodeKey: node(3) }, commit(1, 10), commit(2, 20)]);
    assert.equal(stageOf(waiting.state), 'commit');
    assert.equal(nextWakeAt(waiting.state, 20), 1_000);
    const lateCheck = run([{ type: 'tick', now: 500 }], waiting.state);
    assert.equal(stageOf(lateCheck.state), 'commit');
  });

  it('reveals when the only silent live node goes stale before the deadline', () => {
    const long = { ...config, deadlineMs: 10_000, maxWaitMs: 20_000 };
    const waiting = run([started, { type: 'heartbeat', now: 5, nodeKey: node(3) }, commit(1, 10), commit(2, 20)], initialRoundState(long));
    assert.equal(nextWakeAt(waiting.state, 20), 5 + 3_000 + 1);
    const { state, effects } = run([{ type: 'tick', now: 3_006 }], waiting.state);
    assert.equal(stageOf(state), 'reveal');
    assert.equal((effects[0] as { reason: string }).reason, 'all-reported');
  });

  it('never reveals early when closeWhenAllReported is off', () => {
    const { state } = run([started, commit(1, 10), commit(2, 20)], initialRoundState({ ...config, closeWhenAllReported: false }));
    assert.equal(stageOf(state), 'commit');
  });

  it('ignores duplicates, wrong rounds and late updates, and flags equivocation', () => {
    const { effects, state } = run([
      started,
      commit(1, 5),
      update(1, 10),
      update(1, 11),
      update(2, 12, 7),
      commit(2, 12, 7),
      { type: 'updateAccepted', now: 13, round: 1, nodeKey: node(1), digest: digest(99) },
    ]);
    assert.deepEqual(effects.slice(1), [
      { type: 'updateIgnored', round: 1, nodeKey: node(1), digest: digest(1), reason: 'duplicate' },
      { type: 'updateIgnored', round: 7, nodeKey: node(2), digest: digest(2), reason: 'wrong-round' },
      { type: 'commitmentIgnored', round: 7, nodeKey: node(2), digest: digest(2), reason: 'wrong-round' },
      { type: 'equivocation', round: 1, nodeKey: node(1), firstDigest: digest(1), secondDigest: digest(99) },
    ]);
    assert.equal(state.phase === 'collecting' && state.updates.length, 1);
    const closed = run([commit(2, 20), { type: 'tick', now: 1_000 }, update(2, 1_001), update(3, 1_002), commit(3, 1_003)], state);
    assert.equal(closed.state.phase, 'aggregating');
    assert.deepEqual(closed.effects.slice(-2), [
      { type: 'updateIgnored', round: 1, nodeKey: node(3), digest: digest(3), reason: 'not-collecting' },
      { type: 'commitmentIgnored', round: 1, nodeKey: node(3), digest: digest(3), reason: 'not-collecting' },
    ]);
  });

  it('treats node keys case-insensitively', () => {
    const upper = node(10).toUpperCase().replace('0X', '0x') as Hex;
    const { state, effects } = run([started, commit(10, 1), { type: 'commitmentAccepted', now: 2, round: 1, nodeKey: upper, digest: digest(10) }, { type: 'updateAccepted', now: 3, round: 1, nodeKey: upper, digest: digest(10) }]);
    assert.deepEqual(effects.map((effect) => effect.type), ['openRound', 'commitmentIgnored']);
    assert.equal(state.phase === 'collecting' && state.updates.length, 1, 'the update of the upper-case key matches the lower-case commitment');
  });
});

describe('round: liveness (the quorum follows the active set)', () => {
  const three = { ...config, quorum: 3 };
  const activeSet = (now: number, ...nodes: number[]): RoundEvent => ({ type: 'activeSet', now, nodeKeys: nodes.map(node) });

  it('reveals with the nodes left when one leaves the active set (slashed, exited or failed)', () => {
    const waiting = run([started, activeSet(0, 1, 2, 3), commit(1, 10), commit(2, 20), { type: 'tick', now: 1_000 }], initialRoundState(three));
    assert.equal(stageOf(waiting.state), 'commit', 'node 3 still counts: it is active and was never heard from');
    assert.equal(quorumNeeded(waiting.state, 1_000), 3);
    const { state, effects } = run([activeSet(1_200, 1, 2)], waiting.state);
    assert.equal(stageOf(state), 'reveal');
    assert.equal((effects.at(-1) as { reason: string }).reason, 'deadline');
  });

  it('stops counting a node once it has been silent for livenessMs, and wakes up for that', () => {
    const waiting = run([started, activeSet(0, 1, 2, 3), { type: 'heartbeat', now: 5, nodeKey: node(3) }, commit(1, 10), commit(2, 20)], initialRoundState(three));
    assert.equal(nextWakeAt(waiting.state, 20), 5 + 3_000 + 1, 'not the longest wait: node 3 going silent lowers the quorum');
    assert.equal(stageOf(run([{ type: 'tick', now: 3_005 }], waiting.state).state), 'commit');
    const revealing = run([{ type: 'tick', now: 3_006 }], waiting.state);
    assert.equal(stageOf(revealing.state), 'reveal');
    const { state, effects } = run([update(1, 3_010), update(2, 3_020)], revealing.state);
    const closed = effects.at(-1);
    assert.equal(closed?.type === 'aggregate' && closed.updates.length, 2);
    // Remembered as silent through the next rounds until it is heard from again.
    const next = run([{ type: 'aggregated', now: 3_100, round: 1, modelHash: MODEL }, { type: 'commitConfirmed', now: 3_200, round: 1, modelHash: MODEL }, { type: 'tick', now: 9_000 }], state);
    const heard = (...nodes: number[]): RoundEvent[] => nodes.map((n) => ({ type: 'heartbeat', now: 9_000, nodeKey: node(n) }));
    assert.equal(quorumNeeded(run(heard(1, 2), next.state).state, 9_000), 2);
    assert.equal(quorumNeeded(run(heard(1, 2, 3), next.state).state, 9_000), 3);
  });

  it('reveals after the longest wait with at least minQuorum commitments instead of re-opening forever', () => {
    const { state, effects } = run([started, commit(1, 10), commit(2, 20), { type: 'tick', now: 4_999 }, { type: 'tick', now: 5_000 }], initialRoundState(three));
    assert.equal(stageOf(state), 'reveal');
    assert.deepEqual(effects.map((effect) => effect.type), ['openRound', 'openReveal']);
    assert.equal((effects[1] as { reason: string }).reason, 'max-wait');
  });

  it('never needs fewer than minQuorum commitments, however few nodes count', () => {
    const { state } = run([started, activeSet(0, 1), commit(1, 10), { type: 'tick', now: 1_000 }, { type: 'tick', now: 5_000 }], initialRoundState({ ...three, minQuorum: 2 }));
    assert.equal(stageOf(state), 'commit');
    assert.equal(quorumNeeded(state, 5_000), 2);
    assert.equal(state.phase === 'collecting' && state.openedAt, 5_000, 're-announced, keeping its commitment');
    const alone = run([started, activeSet(0, 1), commit(1, 10), { type: 'tick', now: 1_000 }, update(1, 1_001)], initialRoundState({ ...three, minQuorum: 1 }));
    assert.equal(alone.state.phase, 'aggregating', 'with minQuorum 1 a lone node carries on');
  });

  it('counts a node that committed even when it has left the active set, and never waits for a live node outside it', () => {
    const { state } = run([started, activeSet(0, 1, 2, 3), commit(1, 10), commit(2, 20), commit(3, 30), activeSet(40, 1, 2)], initialRoundState({ ...three, deadlineMs: 10_000, maxWaitMs: 20_000 }));
    assert.equal(stageOf(state), 'reveal', 'node 3 committed: its commitment counts, and every live node has committed');
    const slashed = run([started, activeSet(0, 1, 2), { type: 'heartbeat', now: 1, nodeKey: node(4) }, commit(1, 10), commit(2, 20)], initialRoundState({ ...three, deadlineMs: 10_000, maxWaitMs: 20_000 }));
    assert.equal(stageOf(slashed.state), 'reveal', 'node 4 is live but not active: not waited for');
  });
});

describe('round: restart', () => {
  const commitments = [
    { nodeKey: node(1), digest: digest(1) },
    { nodeKey: node(2), digest: digest(2) },
    { nodeKey: node(1), digest: digest(7) },
  ];

  it('resumes taking commitments with the stored ones and opening time, revealing at once if due', () => {
    const { state, effects } = run([{ type: 'start', now: 2_000, round: 4, baseHash: MODEL, commitments, openedAt: 0 }]);
    assert.equal(stageOf(state), 'reveal');
    assert.deepEqual(effects, [
      { type: 'openRound', round: 4, baseHash: MODEL, openedAt: 0, deadline: 1_000, reopened: false },
      { type: 'openReveal', round: 4, baseHash: MODEL, revealedAt: 2_000, deadline: 2_500, reason: 'deadline' },
    ]);
    assert.equal(state.phase === 'collecting' && state.commitments.length, 2, 'the first commitment of a node stays');
  });

  it('resumes a reveal with its committed updates (an update that matches no commitment is dropped), closing at once if due', () => {
    const accepted = [
      { nodeKey: node(1), digest: digest(1) },
      { nodeKey: node(2), digest: digest(2) },
      { nodeKey: node(3), digest: digest(3) },
    ];
    const { state, effects } = run([{ type: 'start', now: 2_000, round: 4, baseHash: MODEL, commitments, accepted, openedAt: 0, revealedAt: 1_900 }]);
    assert.equal(state.phase, 'aggregating');
    assert.deepEqual(effects.map((effect) => effect.type), ['openRound', 'openReveal', 'aggregate']);
    assert.deepEqual(effects[2], { type: 'aggregate', round: 4, baseHash: MODEL, updates: accepted.slice(0, 2), reason: 'all-revealed' });
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
  const aggregating = run([started, commit(1, 5), commit(2, 6), { type: 'tick', now: 1_000 }, update(1, 1_010), update(2, 1_020)]).state;

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

  it('re-collects the round from scratch when aggregation fails, forgetting its commitments so the same ones count again', () => {
    const { state, effects } = run([{ type: 'aggregationFailed', now: 1_500, round: 1, reason: 'all updates unusable' }], aggregating);
    assert.equal(state.phase === 'collecting' && state.updates.length + state.commitments.length, 0);
    assert.deepEqual(effects, [
      { type: 'forgetRound', round: 1 },
      { type: 'openRound', round: 1, baseHash: GENESIS, openedAt: 1_500, deadline: 2_500, reopened: true },
    ]);
    const again = run([commit(1, 1_600), commit(2, 1_700), { type: 'tick', now: 2_500 }, update(1, 2_510), update(2, 2_520)], state);
    assert.equal(again.state.phase, 'aggregating');
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
