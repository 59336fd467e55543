import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { busySecondsIn, coordinatorShareBetween, peerShareBetween, phaseLineOf } from '../../cli/demo/training-share.ts';
import { createCoordinatorMetrics, countBusy } from '../../coordinator/metrics.ts';

const phases = (training: number, waiting: number) => ({ training, waiting, chainReads: 0, fetching: 0, encoding: 0, signing: 0, gossip: 0, auditing: 0 });

describe('the demo’s training share', () => {
  it('diffs the peer’s lines at the first and the last committed round', () => {
    const lines = [
      { roundCount: 0, wallMs: 1_000, phasesMs: phases(0, 1_000) },
      { roundCount: 1, wallMs: 5_000, phasesMs: phases(3_000, 2_000) },
      { roundCount: 2, wallMs: 9_000, phasesMs: phases(6_000, 3_000) },
      { roundCount: 4, wallMs: 17_000, phasesMs: phases(12_500, 4_500) },
    ].map((line) => phaseLineOf({ level: 30, event: 'phases', msg: '…', ...line })!);
    // Round 3 was committed while the peer did not poll: its next line (4 rounds) stands for it.
    const share = peerShareBetween('peer-1', lines, 1, 3);
    assert.deepEqual(share, { peer: 'peer-1', wallMs: 12_000, phasesMs: phases(9_500, 2_500), trainingShare: 9_500 / 12_000 });
    assert.equal(peerShareBetween('peer-1', lines, 1, 5), undefined, 'a peer that never saw the last round has no figure');
    assert.equal(phaseLineOf({ event: 'audit', round: 1 }), undefined);
    assert.equal(phaseLineOf({ event: 'phases', roundCount: 1, wallMs: 3, phasesMs: { training: 1 } }), undefined, 'a line without every phase is not taken');
  });

  it('reads the coordinator’s busy seconds from its /metrics and gives their share of the wall time between two readings', async () => {
    const metrics = createCoordinatorMetrics();
    const first = { atMs: 0, busySeconds: busySecondsIn(await metrics.registry.metrics()) };
    assert.deepEqual(first.busySeconds, {}, 'nothing counted yet');
    await countBusy(metrics, 'aggregating', () => new Promise((resolve) => setTimeout(resolve, 40)));
    await assert.rejects(countBusy(metrics, 'committing', () => Promise.reject(new Error('nonce too low'))));
    const last = { atMs: 1_000, busySeconds: busySecondsIn(await metrics.registry.metrics()) };
    assert.ok(last.busySeconds.aggregating >= 0.035 && last.busySeconds.aggregating < 0.5, `aggregating ${last.busySeconds.aggregating} s`);
    assert.ok(last.busySeconds.committing >= 0, 'a failed commit counts too');
    const share = coordinatorShareBetween(first, last);
    assert.equal(share.wallMs, 1_000);
    assert.ok(Math.abs(share.busyShare - (last.busySeconds.aggregating + last.busySeconds.committing)) < 1e-9);
  });
});
