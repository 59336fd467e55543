import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { createLogger } from '../../core/log/index.ts';
import { initBackend, initialParams, loadMnist, shardFor } from '../../core/ml/index.ts';
import type { PeerConfig } from '../../core/peer/index.ts';
import { genesisCheckpoint } from '../../core/tensor/index.ts';
import { PEER_PHASES, PeerDaemon, PhaseClock, Trainer, type PhaseSnapshot } from '../../node/index.ts';
import { FakeAuditor, FakeChain, FakeGossip, FakeModels, FakeSigner, FakeTrainer, MODEL_1, ManualClock, MemoryLogger, MemoryPeerStore, NODE_KEY, deferred } from './fakes.ts';

function sumOfPhases(snapshot: PhaseSnapshot): number {
  return PEER_PHASES.reduce((sum, phase) => sum + snapshot.phasesMs[phase], 0);
}

describe('the phase clock', () => {
  it('gives every millisecond to the innermost open phase, and the rest to waiting', async () => {
    let now = 0;
    const clock = new PhaseClock(() => now);
    now = 100;
    const exitTraining = clock.enter('training');
    now = 400;
    const exitEncoding = clock.enter('encoding');
    now = 450;
    exitEncoding();
    exitEncoding();
    now = 700;
    exitTraining();
    now = 1_000;
    await assert.rejects(clock.during('gossip', () => {
      now = 1_250;
      throw new Error('no peer');
    }));
    now = 1_300;
    const snapshot = clock.snapshot();
    assert.equal(snapshot.wallMs, 1_300);
    assert.deepEqual(snapshot.phasesMs, { training: 550, waiting: 450, chainReads: 0, fetching: 0, encoding: 50, signing: 0, gossip: 250, auditing: 0 });
    assert.equal(sumOfPhases(snapshot), snapshot.wallMs);
  });

  it('accounts a real trainer’s round: reading the base model, the inner steps and the encoding add up to the wall time', async () => {
    await initBackend('wasm');
    const shard = shardFor({ data: (await loadMnist()).train, seed: 1, peers: 200, index: 3, scheme: 'iid' });
    const genesis = genesisCheckpoint(initialParams('mlp', 3));
    const phases = new PhaseClock(() => performance.now());
    const trainer = new Trainer({
      shard, innerSteps: 20, batchSize: 32, learningRate: 0.003, codec: 'topk', topkFraction: 0.1, seed: 9, nodeKey: NODE_KEY, phases,
      models: { checkpoint: async () => { await delay(30); return genesis; } },
      logger: createLogger({ name: 'phase-test', level: 'silent' }),
    });
    // As the daemon runs it: the whole step counts as training, the trainer marks its fetching and encoding.
    const prepared = await phases.during('training', () => trainer.train({ round: 1, baseModelHash: genesis.modelHash, residual: undefined }));
    const snapshot = phases.snapshot();
    assert.ok(Math.abs(sumOfPhases(snapshot) - snapshot.wallMs) < 1e-6, 'the phases add up to the wall time');
    assert.ok(snapshot.phasesMs.fetching >= 25, `fetching ${snapshot.phasesMs.fetching} ms`);
    assert.ok(snapshot.phasesMs.encoding > 0);
    // The trainer's own figures agree with the clock's within the rounding to whole milliseconds.
    assert.ok(Math.abs(snapshot.phasesMs.training - prepared.trainMs) < 5, `training ${snapshot.phasesMs.training} ms, trainMs ${prepared.trainMs}`);
    assert.ok(Math.abs(snapshot.phasesMs.encoding - prepared.encodeMs) < 5, `encoding ${snapshot.phasesMs.encoding} ms, encodeMs ${prepared.encodeMs}`);
  });
});

describe('the daemon’s phase accounting', () => {
  const config: PeerConfig = { nodeKey: NODE_KEY, pollMs: 1_000, heartbeatMs: 5_000, republishAfterMs: 5_000, audit: true, backoff: { baseMs: 500, maxMs: 15_000 } };
  const running: PeerDaemon[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((daemon) => daemon.stop()));
  });

  it('logs the wall time by phase once per committed round, the phases adding up to it', async () => {
    const clock = new ManualClock();
    const ports = {
      clock, chain: new FakeChain(clock), store: new MemoryPeerStore(), gossip: new FakeGossip(), models: new FakeModels(),
      trainer: new FakeTrainer(), signer: new FakeSigner(), auditor: new FakeAuditor(), logger: new MemoryLogger(),
    };
    const daemon = new PeerDaemon({ config, ...ports });
    running.push(daemon);
    const gate = deferred();
    ports.trainer.gate = gate.promise;
    await daemon.start();
    await clock.advance(100);
    assert.equal(daemon.state.work?.kind, 'train');
    await clock.advance(4_000);
    gate.resolve();
    await clock.advance(2_000);
    assert.equal(ports.gossip.published.length, 1, 'signed and gossiped round 1');
    ports.chain.commit(MODEL_1);
    await clock.advance(3_000);

    const lines = ports.logger.lines.filter((line) => (line.fields as { event?: string }).event === 'phases');
    const fields = lines.map((line) => line.fields as PhaseSnapshot & { roundCount: number });
    assert.deepEqual(fields.map((line) => line.roundCount), [0, 1], 'one line at start, one when round 1 is committed');
    const [, committed] = fields;
    assert.equal(sumOfPhases(committed), committed.wallMs);
    assert.equal(committed.phasesMs.training, 4_100, 'exactly the time the trainer held the step (from the start to the gate)');
    assert.ok(committed.phasesMs.waiting > 0);
    const now = daemon.phases();
    assert.equal(now.wallMs, 9_100);
    assert.equal(sumOfPhases(now), now.wallMs);
  });
});
