import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Hex } from 'viem';
import type { AuditJudgement, PeerConfig } from '../../core/peer/index.ts';
import { PeerDaemon } from '../../node/index.ts';
import { FakeAuditor, FakeChain, FakeGossip, FakeModels, FakeSigner, FakeTrainer, GENESIS, MODEL_1, ManualClock, MemoryLogger, MemoryPeerStore, NODE_KEY, deferred } from './fakes.ts';

const config: PeerConfig = { nodeKey: NODE_KEY, pollMs: 1_000, heartbeatMs: 5_000, republishAfterMs: 5_000, audit: true, backoff: { baseMs: 500, maxMs: 15_000 } };

/** A daemon over fake ports, with the fakes to drive and inspect; `shared` ports survive a restart. */
function peerOnFakes(shared: { clock?: ManualClock; chain?: FakeChain; store?: MemoryPeerStore } = {}) {
  const clock = shared.clock ?? new ManualClock();
  const ports = {
    clock,
    chain: shared.chain ?? new FakeChain(clock),
    store: shared.store ?? new MemoryPeerStore(),
    gossip: new FakeGossip(),
    models: new FakeModels(),
    trainer: new FakeTrainer(),
    signer: new FakeSigner(),
    auditor: new FakeAuditor(),
    logger: new MemoryLogger(),
  };
  const daemon = new PeerDaemon({ config, ...ports });
  running.push(daemon);
  return { daemon, ...ports };
}

const running: PeerDaemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((daemon) => daemon.stop()));
});

describe('peer daemon over fake ports', () => {
  it('contributes to the open round once: fetch, train, sign, gossip, then beats and polls', async () => {
    const peer = peerOnFakes();
    await peer.daemon.start();
    await peer.clock.advance(10_000);
    assert.deepEqual(peer.models.attempts, [GENESIS]);
    assert.equal(peer.trainer.calls.length, 1);
    assert.equal(peer.signer.signed.length, 1);
    assert.deepEqual(peer.gossip.published, peer.signer.signed);
    assert.deepEqual(peer.gossip.windows, [{ round: 1, baseModelHash: GENESIS, parameterCount: 4 }]);
    assert.deepEqual(peer.auditor.own, peer.signer.signed, 'its own update is kept for the audit');
    assert.equal(peer.gossip.heartbeats.length, 2);
    assert.ok(peer.chain.reads.length >= 9, 'keeps polling the ledger while the round is open');
    assert.equal(peer.daemon.state.work, null);
  });

  it('rides out an RPC outage with growing waits, then continues and publishes once', async () => {
    const peer = peerOnFakes();
    await peer.daemon.start();
    peer.chain.failing = 3;
    await peer.clock.advance(30_000);
    const [first, ...others] = peer.chain.failedReads;
    const recovery = peer.chain.reads.find((at) => at > others[1]);
    assert.deepEqual([...others, recovery].map((at) => (at ?? 0) - first), [1_000, 3_000, 7_000], 'waits of 1 s, 2 s, 4 s');
    assert.equal(peer.daemon.state.failures, 0);
    assert.equal(peer.gossip.published.length, 1);
    assert.equal(peer.signer.signed.length, 1);
    assert.equal(peer.trainer.calls.length, 1);
  });

  it('re-sends the same signed update when a restarted coordinator opens the round again, signing nothing new', async () => {
    const peer = peerOnFakes();
    peer.gossip.subscribers = ['other-peer'];
    await peer.daemon.start();
    await peer.clock.advance(2_000);
    assert.equal(peer.gossip.published.length, 1);
    // The coordinator heard it: no re-send while it stays.
    peer.gossip.emit({ type: 'modelAnnounce', round: 0, modelHash: GENESIS, peer: 'coordinator' });
    await peer.clock.advance(1);
    peer.gossip.subscribers = ['other-peer', 'coordinator'];
    await peer.clock.advance(20_000);
    assert.equal(peer.gossip.published.length, 2, 'the coordinator was not subscribed at first: sent once more');
    await peer.clock.advance(20_000);
    assert.equal(peer.gossip.published.length, 2);
    // It restarts and opens round 1 again.
    peer.gossip.emit({ type: 'roundOpen', round: 1, baseModelHash: GENESIS, reveal: true, peer: 'coordinator' });
    await peer.clock.advance(1_000);
    assert.equal(peer.gossip.published.length, 3);
    assert.equal(peer.signer.signed.length, 1);
    assert.ok(peer.gossip.published.every((sent) => sent === peer.signer.signed[0]), 'the same bytes every time');
  });

  it('gossips the commitment to its update first and keeps the update to itself until the reveal is announced', async () => {
    const peer = peerOnFakes();
    peer.gossip.autoReveal = false;
    peer.gossip.subscribers = ['coordinator'];
    await peer.daemon.start();
    await peer.clock.advance(2_000);
    assert.equal(peer.signer.signed.length, 1);
    assert.deepEqual(peer.gossip.commitments, [await peer.signer.commit(peer.signer.signed[0])]);
    assert.equal(peer.gossip.published.length, 0, 'nobody sees the payload while commitments are taken');
    // The round is announced taking commitments (a coordinator that restarted): the commitment again, never the update.
    peer.gossip.emit({ type: 'roundOpen', round: 1, baseModelHash: GENESIS, reveal: false, peer: 'coordinator' });
    await peer.clock.advance(6_000);
    assert.equal(peer.gossip.commitments.length, 2);
    assert.equal(peer.gossip.published.length, 0);
    peer.gossip.emit({ type: 'roundOpen', round: 1, baseModelHash: GENESIS, reveal: true, peer: 'coordinator' });
    await peer.clock.advance(10);
    assert.deepEqual(peer.gossip.published, peer.signer.signed);
    assert.equal(peer.signer.signed.length, 1);
  });

  it('retries a model fetch that fails and never trains without a verified base', async () => {
    const peer = peerOnFakes();
    peer.models.failing = 2;
    await peer.daemon.start();
    await peer.clock.advance(1_500);
    assert.equal(peer.models.attempts.length, 2);
    assert.equal(peer.trainer.calls.length, 0);
    await peer.clock.advance(5_000);
    assert.equal(peer.models.attempts.length, 3);
    assert.deepEqual(peer.trainer.calls.map((call) => call.baseModelHash), [GENESIS]);
    assert.ok(peer.trainer.calls.every((call) => peer.models.verified.has(call.baseModelHash)));
    assert.equal(peer.gossip.published.length, 1);
  });

  it('drops an update whose round was committed while it trained, then works on the next round', async () => {
    const peer = peerOnFakes();
    const gate = deferred();
    peer.trainer.gate = gate.promise;
    await peer.daemon.start();
    await peer.clock.advance(100);
    assert.equal(peer.daemon.state.work?.kind, 'train');
    peer.chain.commit(MODEL_1);
    gate.resolve();
    await peer.clock.advance(3_000);
    assert.deepEqual(peer.auditor.audited, [1]);
    assert.deepEqual(peer.trainer.calls.map((call) => [call.round, call.baseModelHash]), [[1, GENESIS], [2, MODEL_1]]);
    assert.deepEqual(peer.gossip.published.map((sent) => sent.round), [2], 'round 1 was never signed nor sent');
    assert.equal(peer.trainer.calls[1].residual, undefined, 'the dropped update leaves no residual behind');
  });

  describe('never builds on a model its own audit judged wrong', () => {
    const RESTORED_1: Hex = `0x${'0b'.repeat(32)}`;

    /** Contributes round 1; the coordinator commits MODEL_1, which this node's audit judges a mismatch, inside the challenge window. */
    async function judgedWrong() {
      const peer = peerOnFakes();
      peer.chain.finalRoundValue = 0;
      peer.auditor.wrong.set(1, MODEL_1);
      peer.gossip.subscribers = ['coordinator'];
      await peer.daemon.start();
      await peer.clock.advance(2_000);
      peer.chain.commit(MODEL_1);
      await peer.clock.advance(10_000);
      return peer;
    }

    it('trains and signs nothing on it while the round can be challenged, then contributes to the reopened round and the next after the void', async () => {
      const peer = await judgedWrong();
      assert.deepEqual(peer.auditor.audited, [1]);
      assert.deepEqual(peer.trainer.calls.map((call) => call.round), [1], 'round 2 is not trained on MODEL_1');
      assert.ok(!peer.models.attempts.includes(MODEL_1));
      assert.ok(peer.logger.lines.some((line) => line.level === 'warn' && line.message.includes('judged the model of round 1 wrong')));
      const [update] = peer.signer.signed;
      // The challenge lands: round 1 is voided and the coordinator reopens it on genesis.
      peer.chain.voidFrom(1, GENESIS);
      peer.auditor.wrong.clear();
      await peer.clock.advance(1_000);
      peer.gossip.emit({ type: 'roundOpen', round: 1, baseModelHash: GENESIS, reveal: false, peer: 'coordinator' });
      await peer.clock.advance(6_000);
      assert.deepEqual(peer.gossip.published.at(-1), update, 'the same update is re-sent to the reopened round (same round and base: never signed twice)');
      assert.deepEqual(peer.gossip.commitments.at(-1), await peer.signer.commit(update));
      assert.equal(peer.signer.signed.length, 1);
      peer.chain.commit(RESTORED_1);
      await peer.clock.advance(3_000);
      assert.deepEqual(peer.trainer.calls.map((call) => [call.round, call.baseModelHash]), [[1, GENESIS], [2, RESTORED_1]]);
      assert.deepEqual(peer.gossip.published.at(-1)?.round, 2, 'it contributes to the round after the reopened one');
      assert.deepEqual(peer.auditor.audited, [1, 1], 'the round committed anew is audited again');
    });

    /** A daemon whose audit of round 1 returned unjudged, the judgement left to `late`; it has moved on to round 2. */
    async function peerWithRoundOneAuditPending() {
      const peer = peerOnFakes();
      peer.chain.finalRoundValue = 0;
      const late = deferred<AuditJudgement>();
      peer.auditor.late.set(1, late);
      await peer.daemon.start();
      await peer.clock.advance(2_000);
      peer.chain.commit(MODEL_1);
      await peer.clock.advance(3_000);
      return { peer, late };
    }

    it('withholds on a judgement its audit reaches only through the background retries, and resumes once the round is final', async () => {
      const { peer, late } = await peerWithRoundOneAuditPending();
      // The update of round 1 was missing when the audit returned: the daemon went on to round 2.
      assert.deepEqual(peer.trainer.calls.map((call) => call.round), [1, 2]);
      late.resolve({ modelHash: MODEL_1, wrong: true });
      await peer.clock.advance(1);
      assert.ok(peer.logger.lines.some((line) => line.level === 'warn' && line.message.includes('judged the model of round 1 wrong')));
      assert.deepEqual(peer.daemon.state.distrusted, [{ round: 1, modelHash: MODEL_1 }]);
      // The coordinator is slow to commit round 2, then commits it on the wrong model: nothing is trained on it.
      peer.chain.commit(`0x${'02'.repeat(32)}`);
      await peer.clock.advance(10_000);
      assert.deepEqual(peer.trainer.calls.map((call) => call.round), [1, 2], 'round 3 is not trained on a chain its audit judged wrong');
      peer.chain.finalRoundValue = 2;
      await peer.clock.advance(3_000);
      assert.deepEqual(peer.trainer.calls.map((call) => call.round), [1, 2, 3]);
    });

    it('takes no late judgement on a round the ledger has since voided and committed anew', async () => {
      const { peer, late } = await peerWithRoundOneAuditPending();
      peer.auditor.late.clear();
      peer.chain.voidFrom(1, GENESIS);
      peer.chain.commit(RESTORED_1);
      await peer.clock.advance(3_000);
      assert.deepEqual(peer.auditor.audited, [1, 1]);
      late.resolve({ modelHash: MODEL_1, wrong: true });
      await peer.clock.advance(3_000);
      assert.deepEqual(peer.daemon.state.distrusted, [], 'the judgement is on a commit the ledger no longer holds');
      assert.ok(peer.trainer.calls.some((call) => call.baseModelHash === RESTORED_1));
    });

    it('contributes again once the round it judged wrong is final (the network accepted it)', async () => {
      const peer = await judgedWrong();
      assert.equal(peer.signer.signed.length, 1);
      peer.chain.finalRoundValue = 1;
      await peer.clock.advance(3_000);
      assert.deepEqual(peer.trainer.calls.map((call) => [call.round, call.baseModelHash]), [[1, GENESIS], [2, MODEL_1]]);
      assert.deepEqual(peer.gossip.published.at(-1)?.round, 2);
      assert.ok(peer.logger.lines.some((line) => line.message.includes('round 1, judged wrong, is final')));
    });
  });

  it('carries the residual of the signed update into the next round', async () => {
    const peer = peerOnFakes();
    await peer.daemon.start();
    await peer.clock.advance(2_000);
    peer.chain.commit(MODEL_1);
    await peer.clock.advance(2_000);
    assert.deepEqual(peer.trainer.calls.map((call) => call.residual), [undefined, Float32Array.of(1)]);
  });

  it('stops gossiping when it hears an update signed with its key that it did not send', async () => {
    const peer = peerOnFakes();
    await peer.daemon.start();
    await peer.clock.advance(2_000);
    peer.gossip.emit({ type: 'update', update: { round: 1, baseModelHash: GENESIS, nodeKey: NODE_KEY, digest: `0x${'ff'.repeat(32)}`, delta: new Float32Array(4), samples: 1 } });
    const beats = peer.gossip.heartbeats.length;
    peer.chain.commit(MODEL_1);
    await peer.clock.advance(20_000);
    assert.equal(peer.gossip.published.length, 1);
    assert.equal(peer.gossip.heartbeats.length, beats);
    assert.equal(peer.trainer.calls.length, 1);
    assert.ok(peer.logger.lines.some((line) => line.level === 'error'), 'said so at error level');
  });

  it('stop ends the loop and leaves the network', async () => {
    const peer = peerOnFakes();
    await peer.daemon.start();
    await peer.clock.advance(10);
    await peer.daemon.stop();
    assert.equal(peer.gossip.running, false);
    const reads = peer.chain.reads.length;
    await peer.clock.advance(10_000);
    assert.equal(peer.chain.reads.length, reads);
  });
});

describe('peer daemon across restarts', () => {
  it('re-sends exactly the update it wrote down before a restart in the same round, and signs nothing', async () => {
    const first = peerOnFakes();
    await first.daemon.start();
    await first.clock.advance(2_000);
    assert.equal(first.gossip.published.length, 1);
    await first.daemon.stop();
    const { clock, chain, store } = first;
    const second = peerOnFakes({ clock, chain, store });
    await second.daemon.start();
    await clock.advance(2_000);
    assert.equal(second.signer.signed.length, 0);
    assert.equal(second.trainer.calls.length, 0);
    assert.deepEqual(second.gossip.published, first.gossip.published, 'the same signed bytes');
    assert.deepEqual(second.auditor.own, first.signer.signed, 'its own update still counts in the audit of the round');
    chain.commit(MODEL_1);
    await clock.advance(3_000);
    assert.deepEqual(second.trainer.calls.map((call) => [call.round, call.residual]), [[2, Float32Array.of(1)]], 'the residual survived the restart');
    assert.equal(second.gossip.published.at(-1)?.round, 2);
  });

  it('restarted while it withholds, judges the round again and still builds nothing on it; after the void, what it signs on the restored model survives the next restart', async () => {
    const MODEL_1_AGAIN: Hex = `0x${'0c'.repeat(32)}`;
    const first = peerOnFakes();
    first.chain.finalRoundValue = 0;
    first.auditor.wrong.set(1, MODEL_1);
    await first.daemon.start();
    await first.clock.advance(2_000);
    first.chain.commit(MODEL_1);
    await first.clock.advance(3_000);
    await first.daemon.stop();
    const { clock, chain, store } = first;
    const second = peerOnFakes({ clock, chain, store });
    second.auditor.wrong.set(1, MODEL_1);
    await second.daemon.start();
    await clock.advance(5_000);
    assert.deepEqual(second.auditor.audited, [1], 'the round is still challengeable: audited again after the restart');
    assert.equal(second.trainer.calls.length, 0, 'nothing is trained on MODEL_1');
    // Voided and committed anew with another model, which this node judges right.
    second.auditor.wrong.clear();
    chain.voidFrom(1, GENESIS);
    chain.commit(MODEL_1_AGAIN);
    await clock.advance(3_000);
    assert.deepEqual(second.trainer.calls.map((call) => [call.round, call.baseModelHash]), [[2, MODEL_1_AGAIN]]);
    assert.deepEqual(store.record?.update, second.signer.signed[0]);
    await second.daemon.stop();
    const third = peerOnFakes({ clock, chain, store });
    await third.daemon.start();
    await clock.advance(3_000);
    assert.equal(third.signer.signed.length, 0, 'round 2 on the restored model is never signed twice');
    assert.deepEqual(third.gossip.published.at(-1), second.signer.signed[0]);
  });

  it('killed between commit and reveal, re-sends the same commitment and then the same update after the reveal, signing nothing', async () => {
    const first = peerOnFakes();
    first.gossip.autoReveal = false;
    await first.daemon.start();
    await first.clock.advance(2_000);
    assert.equal(first.gossip.commitments.length, 1);
    assert.equal(first.gossip.published.length, 0);
    await first.daemon.stop();
    const { clock, chain, store } = first;
    const second = peerOnFakes({ clock, chain, store });
    second.gossip.autoReveal = false;
    await second.daemon.start();
    await clock.advance(2_000);
    assert.deepEqual(second.gossip.commitments, first.gossip.commitments, 'the same commitment bytes');
    second.gossip.emit({ type: 'roundOpen', round: 1, baseModelHash: GENESIS, reveal: true, peer: 'coordinator' });
    await clock.advance(10);
    assert.deepEqual(second.gossip.published, [store.record?.update], 'the update written down before the crash');
    assert.equal(second.signer.signed.length, 0);
    assert.equal(second.trainer.calls.length, 0);
  });

  it('gossips nothing it has not written down', async () => {
    const peer = peerOnFakes();
    peer.store.failing = 1;
    await peer.daemon.start();
    await peer.clock.advance(500);
    assert.equal(peer.gossip.published.length, 0);
    await peer.clock.advance(5_000);
    assert.equal(peer.gossip.published.length, 1);
    assert.deepEqual(peer.store.record?.update, peer.gossip.published[0]);
  });

  it('refuses to start while another daemon holds its store', async () => {
    const first = peerOnFakes();
    await first.daemon.start();
    const second = peerOnFakes({ clock: first.clock, chain: first.chain, store: first.store });
    await assert.rejects(second.daemon.start(), /another daemon holds this store/);
    assert.equal(second.gossip.running, false);
  });
});
