import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Hex } from 'viem';
import { seededRandom } from '../../support/random.ts';
import { initialPeerState, nextWakeAt, step, type PeerConfig, type PeerEffect, type PeerEvent, type PeerState } from '../../../core/peer/index.ts';
import { runSteps } from '../../support/state-machine.ts';

const NODE: Hex = `0x${'11'.repeat(20)}`;
const GENESIS: Hex = `0x${'00'.repeat(32)}`;
const MODEL_1: Hex = `0x${'01'.repeat(32)}`;
const OTHER_MODEL: Hex = `0x${'02'.repeat(32)}`;
const DIGEST: Hex = `0x${'dd'.repeat(32)}`;
const OTHER_DIGEST: Hex = `0x${'ee'.repeat(32)}`;
const config: PeerConfig = { nodeKey: NODE, pollMs: 1_000, heartbeatMs: 5_000, republishAfterMs: 5_000, audit: true, backoff: { baseMs: 500, maxMs: 15_000 } };

function run(events: readonly PeerEvent[], state: PeerState = initialPeerState(config)): { state: PeerState; effects: PeerEffect[] } {
  return runSteps(step, events, state);
}

const types = (effects: readonly PeerEffect[]): string[] => effects.map((effect) => effect.type);
const start = (roundCount = 0): PeerEvent => ({ type: 'start', now: 0, roundCount });
const chainRead = (now: number, roundCount: number, latestModelHash: Hex, updateSubscribers: string[] = [], finalRound = 0): PeerEvent => ({ type: 'chainRead', now, roundCount, latestModelHash, finalRound, updateSubscribers });
const loaded = (now: number, modelHash: Hex = GENESIS): PeerEvent => ({ type: 'modelLoaded', now, modelHash, parameterCount: 10 });
const trained = (now: number, round = 1, baseModelHash: Hex = GENESIS): PeerEvent => ({ type: 'trained', now, round, baseModelHash });
const signed = (now: number, round = 1, digest: Hex = DIGEST, baseModelHash: Hex = GENESIS): PeerEvent => ({ type: 'signed', now, round, baseModelHash, digest });
const published = (now: number, updateSubscribers: string[] = [], digest: Hex = DIGEST): PeerEvent => ({ type: 'published', now, round: 1, digest, updateSubscribers });
const committed = (now: number, updateSubscribers: string[] = [], digest: Hex = DIGEST): PeerEvent => ({ type: 'commitmentPublished', now, round: 1, digest, updateSubscribers });
const roundOpen = (now: number, reveal: boolean, round = 1, peer = 'c', baseModelHash: Hex = GENESIS): PeerEvent => ({ type: 'roundOpenHeard', now, round, baseModelHash, reveal, peer });

/** Round 1 on genesis: base loaded, trained, confirmed, signed, committed, revealed and gossiped once. */
const contributed: PeerEvent[] = [
  start(),
  chainRead(1, 0, GENESIS),
  loaded(2),
  chainRead(3, 0, GENESIS),
  trained(10),
  chainRead(11, 0, GENESIS),
  signed(12),
  committed(13),
  roundOpen(14, true),
  chainRead(15, 0, GENESIS),
  published(16),
];

describe('peer: one round, step by step', () => {
  const table: Array<{ name: string; events: PeerEvent[]; effects: PeerEffect[] }> = [
    { name: 'start reads the chain', events: [start()], effects: [{ type: 'readChain' }] },
    {
      name: 'a new round without its base model fetches it',
      events: [start(), chainRead(1, 0, GENESIS)],
      effects: [{ type: 'roundOpened', round: 1, baseModelHash: GENESIS }, { type: 'fetchModel', modelHash: GENESIS }],
    },
    { name: 'a loaded base is checked against a fresh chain read', events: [start(), chainRead(1, 0, GENESIS), loaded(2)], effects: [{ type: 'readChain' }] },
    { name: 'with the base held, it trains', events: [start(), chainRead(1, 0, GENESIS), loaded(2), chainRead(3, 0, GENESIS)], effects: [{ type: 'train', round: 1, baseModelHash: GENESIS }] },
    { name: 'after training the chain is read again', events: contributed.slice(0, 5), effects: [{ type: 'readChain' }] },
    { name: 'the round still open: sign', events: contributed.slice(0, 6), effects: [{ type: 'sign', round: 1, baseModelHash: GENESIS }] },
    { name: 'signed and written down: gossip its commitment', events: contributed.slice(0, 7), effects: [{ type: 'publishCommitment', round: 1, digest: DIGEST, resend: false }] },
    { name: 'committed: the update waits for the reveal', events: contributed.slice(0, 8), effects: [] },
    { name: 'the reveal announced: the chain is read', events: contributed.slice(0, 9), effects: [{ type: 'readChain' }] },
    { name: 'the round still open: gossip the update', events: contributed.slice(0, 10), effects: [{ type: 'publish', round: 1, digest: DIGEST, resend: false }] },
    { name: 'gossiped: nothing more to do', events: contributed, effects: [] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const before = run(row.events.slice(0, -1));
      assert.deepEqual(run(row.events.slice(-1), before.state).effects, row.effects);
    });
  }

  it('polls while idle and beats on time', () => {
    const { state } = run(contributed);
    assert.equal(nextWakeAt(state), 1_016);
    assert.deepEqual(run([{ type: 'tick', now: 1_016 }], state).effects, [{ type: 'readChain' }]);
    const beat = run([{ type: 'tick', now: 5_000 }], state);
    assert.deepEqual(beat.effects, [{ type: 'heartbeat', round: 1, modelHash: GENESIS, timestamp: 5_000 }, { type: 'readChain' }]);
    assert.equal(beat.state.heartbeatAt, 10_000);
  });
});

describe('peer: recovery paths', () => {
  it('backs off on consecutive failures and says when it recovers', () => {
    const failed = run([start(), { type: 'workFailed', now: 1, work: 'readChain', error: 'rpc down' }]);
    assert.deepEqual(failed.effects.at(-1), { type: 'retryScheduled', work: 'readChain', failures: 1, delayMs: 1_000, error: 'rpc down' });
    assert.equal(nextWakeAt(failed.state), 1_001);
    assert.deepEqual(run([{ type: 'tick', now: 1_000 }], failed.state).effects, []);
    const again = run([{ type: 'tick', now: 1_001 }, { type: 'workFailed', now: 1_002, work: 'readChain', error: 'rpc down' }], failed.state);
    assert.equal(again.state.failures, 2);
    assert.equal(again.state.pollAt, 1_002 + 2_000);
    const recovered = run([{ type: 'tick', now: 3_002 }, ...contributed.slice(1).map((event) => ({ ...event, now: event.now + 4_000 }))], again.state);
    assert.deepEqual(types(recovered.effects).filter((type) => type === 'recovered' || type === 'publish' || type === 'publishCommitment'), ['publishCommitment', 'recovered', 'publish']);
    assert.equal(recovered.state.failures, 0);
  });

  it('never trains without a verified base: a failed fetch is retried', () => {
    const { state, effects } = run([
      start(),
      chainRead(1, 0, GENESIS),
      { type: 'workFailed', now: 2, work: 'fetchModel', error: 'no peer has it' },
      { type: 'tick', now: 1_002 },
      chainRead(1_003, 0, GENESIS),
      { type: 'workFailed', now: 1_004, work: 'fetchModel', error: 'bad blob' },
    ]);
    assert.equal(types(effects).filter((type) => type === 'fetchModel').length, 2);
    assert.ok(!types(effects).includes('train'));
    assert.equal(state.failures, 2, 'a failing fetch keeps backing off; a good chain read in between does not reset it');
  });

  it('drops an update whose round was committed while it trained, and moves on to the next round', () => {
    const { state, effects } = run([...contributed.slice(0, 5), chainRead(11, 1, MODEL_1)]);
    assert.deepEqual(effects.slice(-3), [
      { type: 'roundOpened', round: 2, baseModelHash: MODEL_1 },
      { type: 'dropUpdate', round: 1, reason: 'round 1 was committed while this node trained' },
      { type: 'audit', round: 1 },
    ]);
    assert.equal(state.trained, null);
    assert.equal(state.signed, null);
  });

  it('re-sends the same signed update when a coordinator (re)opens the round it sent for', () => {
    const sent = run(contributed, undefined);
    const reopened = run([
      roundOpen(6_000, true, 1, 'coordinator'),
      chainRead(6_001, 0, GENESIS, ['coordinator']),
      published(6_002, ['coordinator']),
      { type: 'tick', now: 20_000 },
      chainRead(20_001, 0, GENESIS, ['coordinator']),
    ], sent.state);
    assert.deepEqual(types(reopened.effects), ['readChain', 'publish', 'heartbeat', 'readChain']);
    assert.deepEqual(reopened.effects[1], { type: 'publish', round: 1, digest: DIGEST, resend: true });
    assert.equal(reopened.state.signed?.heard, true, 'heard by the coordinator: no further re-sends');
  });

  it('waits for the re-send interval and for a subscriber', () => {
    const sent = run(contributed);
    const early = run([roundOpen(100, true), chainRead(101, 0, GENESIS, ['c'])], sent.state);
    assert.ok(!types(early.effects).includes('publish'), 'sent 85 ms ago');
    const alone = run([roundOpen(9_000, true), chainRead(9_001, 0, GENESIS, [])], sent.state);
    assert.ok(!types(alone.effects).includes('publish'), 'nobody subscribed');
  });

  it('re-sends its commitment, never its update, while the round takes commitments', () => {
    const waiting = run(contributed.slice(0, 8));
    const reannounced = run([roundOpen(6_000, false), chainRead(6_001, 0, GENESIS, ['c'])], waiting.state);
    assert.deepEqual(reannounced.effects.at(-1), { type: 'publishCommitment', round: 1, digest: DIGEST, resend: true });
    // The round is collected again after a reveal (say its aggregation failed): commitment first, then the update again on the next reveal.
    const recollected = run([roundOpen(6_000, false), chainRead(6_001, 0, GENESIS, ['c']), committed(6_002, ['c']), roundOpen(6_003, true), chainRead(6_004, 0, GENESIS, ['c'])], run(contributed).state);
    assert.deepEqual(types(recollected.effects), ['readChain', 'publishCommitment', 'readChain', 'publish']);
  });

  it('keeps its update to itself when the reveal it hears was already open as its commitment went out (signed late)', () => {
    const late = run([...contributed.slice(0, 6), roundOpen(11, true), signed(12), committed(13), roundOpen(14, true), chainRead(15, 0, GENESIS), { type: 'tick', now: 9_000 }, chainRead(9_001, 0, GENESIS, ['c'])]);
    assert.ok(!types(late.effects).includes('publish'), 'its commitment came too late: the update would be refused, and its payload exposed');
    const reopened = run([roundOpen(9_100, false), chainRead(9_101, 0, GENESIS, ['c']), committed(9_102, ['c']), roundOpen(9_200, true), chainRead(9_201, 0, GENESIS, ['c'])], late.state);
    assert.equal(reopened.effects.at(-1)?.type, 'publish', 'the round took commitments again: committed in time, it reveals');
  });

  it('after a restart, re-sends the commitment and then the update it signed before, and never signs that round again', () => {
    const restored = run([{ type: 'start', now: 0, roundCount: 0, restored: { round: 1, baseModelHash: GENESIS, digest: DIGEST } }, chainRead(1, 0, GENESIS), loaded(2), chainRead(3, 0, GENESIS)]);
    assert.deepEqual(restored.effects.at(-1), { type: 'publishCommitment', round: 1, digest: DIGEST, resend: true });
    const revealed = run([committed(4), roundOpen(5, true), chainRead(6, 0, GENESIS)], restored.state);
    assert.deepEqual(revealed.effects.at(-1), { type: 'publish', round: 1, digest: DIGEST, resend: true });
    assert.ok(!types([...restored.effects, ...revealed.effects]).includes('train'));
  });

  it('trains and signs again for a round that opened again on another model after a challenge (no equivocation: another base)', () => {
    const signedOnVoided = { round: 3, baseModelHash: MODEL_1, digest: DIGEST, committedAt: 1, commitHeard: true, revealed: true, sentAt: 2, heard: true, restored: false };
    const reading: PeerState = { ...initialPeerState(config), auditedThrough: 2, signed: signedOnVoided, work: { kind: 'readChain' } };
    const back = run([chainRead(5, 1, GENESIS)], reading);
    assert.ok(!back.effects.some((effect) => effect.type === 'train'), 'round 2 was signed before (by the kept update): nothing to train');
    const reopened = run([chainRead(6, 2, OTHER_MODEL), { type: 'audited', now: 7, round: 2 }, chainRead(8, 2, OTHER_MODEL)], { ...back.state, base: { modelHash: OTHER_MODEL, parameterCount: 10 }, work: { kind: 'readChain' } });
    assert.deepEqual(reopened.effects.at(-1), { type: 'train', round: 3, baseModelHash: OTHER_MODEL });
  });

  describe('never builds on a model its own audit judged wrong', () => {
    /** Round 1 contributed on genesis, then committed with MODEL_1, which this peer's audit judges wrong. */
    const judgedWrong = (): { state: PeerState; effects: PeerEffect[] } =>
      run([...contributed, { type: 'tick', now: 1_020 }, chainRead(1_021, 1, MODEL_1), { type: 'audited', now: 1_022, round: 1, wrongModel: MODEL_1 }, chainRead(1_023, 1, MODEL_1), { type: 'tick', now: 2_100 }, chainRead(2_101, 1, MODEL_1)]);

    it('does not fetch, train on or sign for the wrong model while the round can still be challenged', () => {
      const { state, effects } = judgedWrong();
      assert.deepEqual(effects.find((effect) => effect.type === 'withholding'), { type: 'withholding', round: 1, modelHash: MODEL_1 });
      assert.ok(!effects.some((effect) => (effect.type === 'fetchModel' && effect.modelHash === MODEL_1) || (effect.type === 'train' && effect.round === 2)), 'nothing is built on MODEL_1');
      assert.equal(state.work, null, 'it waits, polling');
    });

    it('after the void, re-sends its update to the reopened round (same round and base: never re-signed) and trains the next on the restored ledger', () => {
      const voided = run([{ type: 'tick', now: 3_200 }, chainRead(3_201, 0, GENESIS)], judgedWrong().state);
      assert.deepEqual(voided.effects.find((effect) => effect.type === 'resuming'), { type: 'resuming', round: 1, because: 'voided' });
      const reopened = run([roundOpen(8_000, false), chainRead(8_001, 0, GENESIS, ['c']), committed(8_002, ['c']), roundOpen(8_003, true), chainRead(8_004, 0, GENESIS, ['c'])], voided.state);
      assert.deepEqual(reopened.effects.filter((effect) => effect.type === 'publishCommitment' || effect.type === 'publish'), [
        { type: 'publishCommitment', round: 1, digest: DIGEST, resend: true },
        { type: 'publish', round: 1, digest: DIGEST, resend: true },
      ]);
      const next = run([published(8_005, ['c']), { type: 'tick', now: 9_100 }, chainRead(9_101, 1, OTHER_MODEL), { type: 'audited', now: 9_102, round: 1 }, chainRead(9_103, 1, OTHER_MODEL), loaded(9_104, OTHER_MODEL), chainRead(9_105, 1, OTHER_MODEL)], reopened.state);
      assert.deepEqual(next.effects.at(-1), { type: 'train', round: 2, baseModelHash: OTHER_MODEL });
      assert.ok(![...voided.effects, ...reopened.effects, ...next.effects].some((effect) => effect.type === 'sign' || (effect.type === 'train' && effect.round === 1)));
    });

    it('treats a round voided and committed anew between two reads as voided, and audits it again', () => {
      const recommitted = run([{ type: 'tick', now: 3_200 }, chainRead(3_201, 1, OTHER_MODEL)], judgedWrong().state);
      assert.deepEqual(recommitted.effects.filter((effect) => effect.type === 'resuming' || effect.type === 'audit'), [
        { type: 'resuming', round: 1, because: 'voided' },
        { type: 'audit', round: 1 },
      ]);
    });

    it('once the round is final (the network accepted it), trains on it again', () => {
      const final = run([{ type: 'tick', now: 3_200 }, chainRead(3_201, 1, MODEL_1, [], 1), loaded(3_202, MODEL_1), chainRead(3_203, 1, MODEL_1, [], 1)], judgedWrong().state);
      assert.deepEqual(final.effects.find((effect) => effect.type === 'resuming'), { type: 'resuming', round: 1, because: 'final' });
      assert.deepEqual(final.effects.at(-1), { type: 'train', round: 2, baseModelHash: MODEL_1 });
    });

    it('drops an update trained before its base was judged wrong instead of signing it', () => {
      const held: PeerState = { ...judgedWrong().state, open: { round: 2, baseModelHash: MODEL_1 }, trained: { round: 2, baseModelHash: MODEL_1 }, work: { kind: 'readChain' } };
      const { effects } = run([chainRead(3_200, 1, MODEL_1)], held);
      assert.ok(!effects.some((effect) => effect.type === 'sign'));
      assert.equal(effects.find((effect) => effect.type === 'dropUpdate')?.type, 'dropUpdate');
    });
  });

  it('a (re)start audits the rounds still challengeable, not those already final', () => {
    const started = run([{ type: 'start', now: 0, roundCount: 5, finalRound: 3 }, chainRead(1, 5, MODEL_1)]);
    assert.deepEqual(started.effects.filter((effect) => effect.type === 'audit'), [{ type: 'audit', round: 4 }]);
    const history = run([{ type: 'start', now: 0, roundCount: 5 }, chainRead(1, 5, MODEL_1)]);
    assert.equal(history.effects.some((effect) => effect.type === 'audit'), false, 'without a final round, all is history');
  });

  it('audits a round again when a challenge voided it and it was committed anew', () => {
    // Rounds 1 and 2 audited; a chain read in flight finds the ledger back at round 1.
    const reading: PeerState = { ...initialPeerState(config), auditedThrough: 2, work: { kind: 'readChain' } };
    const back = run([chainRead(5, 1, MODEL_1)], reading);
    assert.equal(back.state.auditedThrough, 1);
    const again = run([chainRead(6, 2, OTHER_MODEL)], { ...back.state, work: { kind: 'readChain' } });
    assert.deepEqual(again.effects.find((effect) => effect.type === 'audit'), { type: 'audit', round: 2 });
  });

  it('audits committed rounds in order before working on the open one, unless auditing is off', () => {
    const { effects } = run([start(0), chainRead(1, 2, MODEL_1), { type: 'audited', now: 2, round: 1 }, chainRead(3, 2, MODEL_1), { type: 'audited', now: 4, round: 2 }, chainRead(5, 2, MODEL_1)]);
    assert.deepEqual(effects.filter((effect) => effect.type === 'audit' || effect.type === 'fetchModel'), [
      { type: 'audit', round: 1 },
      { type: 'audit', round: 2 },
      { type: 'fetchModel', modelHash: MODEL_1 },
    ]);
    const unaudited = run([start(0), chainRead(1, 2, MODEL_1)], initialPeerState({ ...config, audit: false }));
    assert.deepEqual(unaudited.effects.at(-1), { type: 'fetchModel', modelHash: MODEL_1 });
  });

  it('ignores results nobody asked for', () => {
    const { state, effects } = run([start(), trained(1), signed(2), { type: 'audited', now: 3, round: 4 }]);
    assert.deepEqual(types(effects), ['readChain', 'eventIgnored', 'eventIgnored', 'eventIgnored']);
    assert.equal(state.signed, null);
  });
});

describe('peer: one update per round, ever', () => {
  it('emits at most one sign per round whatever the events', () => {
    const { effects } = run([
      ...contributed,
      roundOpen(20_000, true),
      chainRead(20_001, 0, GENESIS, ['c']),
      published(20_002, ['c']),
      trained(20_003),
      chainRead(20_004, 0, GENESIS),
    ]);
    assert.equal(types(effects).filter((type) => type === 'sign').length, 1);
    assert.ok(effects.every((effect) => effect.type !== 'publish' || effect.digest === DIGEST));
  });

  it('stops publishing when another daemon signs with its key, and says why', () => {
    const sent = run(contributed);
    assert.deepEqual(run([{ type: 'ownKeyHeard', now: 20, round: 1, digest: DIGEST }], sent.state).effects, [], 'its own update echoed back');
    const { state, effects } = run([{ type: 'ownKeyHeard', now: 20, round: 1, digest: OTHER_DIGEST }, { type: 'tick', now: 10_000 }, chainRead(10_001, 1, MODEL_1), { type: 'audited', now: 10_002, round: 1 }, chainRead(10_003, 1, MODEL_1), loaded(10_004, MODEL_1), chainRead(10_005, 1, MODEL_1)], sent.state);
    assert.equal(effects[0].type, 'stopPublishing');
    assert.match((effects[0] as { reason: string }).reason, /another daemon runs with this key/);
    assert.ok(!types(effects).some((type) => type === 'train' || type === 'heartbeat' || type === 'publish'));
    assert.notEqual(state.impostor, null);
  });
});

describe('peer: invariants under random schedules with crashes', () => {
  const MODELS: Hex[] = [GENESIS, MODEL_1, `0x${'02'.repeat(32)}`, `0x${'03'.repeat(32)}`];

  /** Answers the step in flight (or fails it, or sends noise), restarting from the stored record now and then. */
  function schedule(seed: number): { signs: number; resends: number } {
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    let state = step(initialPeerState(config), start()).state;
    let now = 0;
    let committedRounds = 0;
    let stored: { round: number; baseModelHash: Hex; digest: Hex } | undefined;
    const sentByRound = new Map<number, Set<Hex>>();
    // Digests whose commitment went out (in any life of the process).
    const commitmentSent = new Set<Hex>();
    let serial = 0;
    const seen = { signs: 0, resends: 0 };
    for (let i = 0; i < 300; i++) {
      now += Math.floor(random() * 2_000);
      if (random() < 0.1 && committedRounds < MODELS.length - 1) committedRounds += 1;
      let event: PeerEvent;
      const work = state.work;
      const roll = random();
      if (roll < 0.05) {
        // A crash: the process starts over from what the store holds.
        state = initialPeerState(config);
        event = { type: 'start', now, roundCount: committedRounds, restored: stored };
      } else if (work === null || roll < 0.15) {
        event = pick<PeerEvent>([
          { type: 'tick', now },
          roundOpen(now, random() < 0.5, committedRounds + 1, 'c', MODELS[committedRounds]),
          { type: 'modelAnnounced', now, round: committedRounds, peer: 'c' },
          { type: 'signed', now, round: committedRounds + 1, baseModelHash: MODELS[committedRounds], digest: `0x${(++serial).toString(16).padStart(64, '0')}` },
          // An audit that returned unjudged judges a committed round wrong in the background.
          { type: 'judgedWrongLate', now, round: committedRounds, modelHash: MODELS[committedRounds] },
        ]);
      } else if (roll < 0.3) {
        event = { type: 'workFailed', now, work: work.kind, error: 'down' };
      } else {
        switch (work.kind) {
          case 'readChain':
            event = chainRead(now, committedRounds, MODELS[committedRounds], pick([[], ['c']]), pick([0, committedRounds]));
            break;
          case 'audit':
            // Now and then this peer's audit judges the round's model wrong.
            event = { type: 'audited', now, round: work.round, ...(random() < 0.2 ? { wrongModel: MODELS[work.round] } : {}) };
            break;
          case 'fetchModel':
            event = loaded(now, work.modelHash);
            break;
          case 'train':
            event = trained(now, work.round, work.baseModelHash);
            break;
          case 'sign':
            // Every signature is a different update (as after re-training).
            event = signed(now, work.round, `0x${(++serial).toString(16).padStart(64, '0')}`, work.baseModelHash);
            break;
          case 'publishCommitment':
            event = committed(now, pick([[], ['c']]), work.digest);
            break;
          case 'publish':
            event = published(now, pick([[], ['c']]), work.digest);
            break;
        }
      }
      const result = step(state, event);
      if (event.type === 'commitmentPublished' && result.state.signed?.committedAt === event.now) commitmentSent.add(event.digest);
      if (event.type === 'signed' && result.state.signed?.digest === event.digest) stored = { round: event.round, baseModelHash: event.baseModelHash, digest: event.digest };
      for (const effect of result.effects) {
        if (effect.type === 'sign') seen.signs += 1;
        if (effect.type === 'train' || effect.type === 'sign') assert.deepEqual(result.state.distrusted, [], `seed ${seed}: ${effect.type}s on a model its audit judged wrong`);
        if (effect.type === 'publish' && effect.resend) seen.resends += 1;
        if (effect.type === 'sign') assert.ok(stored === undefined || stored.round < effect.round, `seed ${seed}: signs round ${effect.round} again after writing down ${stored?.digest}`);
        if (effect.type === 'publish') {
          const sent = sentByRound.get(effect.round) ?? new Set<Hex>();
          sent.add(effect.digest);
          sentByRound.set(effect.round, sent);
          assert.equal(sent.size, 1, `seed ${seed}: two different updates gossiped for round ${effect.round}`);
          assert.equal(effect.digest, stored?.digest, `seed ${seed}: gossips an update that was not written down`);
          assert.ok(commitmentSent.has(effect.digest), `seed ${seed}: gossips an update before its commitment`);
        }
      }
      state = result.state;
    }
    return seen;
  }

  it('never gossips two updates for a round, nor one it did not write down or commit to first, nor signs a round again, nor builds on a model it judged wrong', () => {
    const total = { signs: 0, resends: 0 };
    for (let seed = 1; seed <= 200; seed++) {
      const seen = schedule(seed);
      total.signs += seen.signs;
      total.resends += seen.resends;
    }
    assert.ok(total.signs > 200 && total.resends > 100, `the schedules reach signing and re-sending (${JSON.stringify(total)})`);
  });
});
