import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { benchSuites, runBenchSuite } from '../../bench/index.ts';
import { SCHEDULE_DEFAULTS } from '../../core/audit/index.ts';

describe('bench long', () => {
  it('runs 3 peers for the rounds asked, with the coordinator defaults, and writes the curve, the figures and a PNG', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradnet-long-'));
    try {
      const jsonFile = join(dir, 'long.json');
      const png = join(dir, 'curves.png');
      const result = await runBenchSuite('long', jsonFile, benchSuites, { rounds: 2, png });
      const written = JSON.parse(await readFile(jsonFile, 'utf8'));
      assert.deepEqual(written, JSON.parse(JSON.stringify(result)));
      assert.equal(written.suite, 'long');
      assert.equal(written.rounds, 2);
      assert.equal(written.peers, 3);
      assert.deepEqual(written.curve.map((point: { round: number }) => point.round), [1, 2]);
      for (const point of written.curve) assert.ok(point.loss > 0 && point.accuracy > 0.1 && point.accuracy <= 1, JSON.stringify(point));
      const [first, second] = written.curve;
      assert.equal(written.finalLoss, second.loss);
      assert.equal(written.minLoss, Math.min(first.loss, second.loss));
      assert.equal(written.finalAccuracy, second.accuracy);
      assert.equal(written.bestAccuracy, Math.max(first.accuracy, second.accuracy));
      assert.equal(written.targets.finalLossAtMost1_2xMin, second.loss <= 1.2 * written.minLoss);
      // The coordinator's defaults, schedules included, as core/audit fills them in.
      assert.deepEqual(written.aggregation.outer.schedule, SCHEDULE_DEFAULTS.outer.schedule);
      assert.deepEqual(written.aggregation.inner.schedule, SCHEDULE_DEFAULTS.inner.schedule);
      assert.ok((await stat(png)).size > 1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a round count or a model it cannot run, saying what to pass', async () => {
    const suite = await benchSuites.long();
    await assert.rejects(suite.run({ jsonFile: '/dev/null', rounds: 0 }), /--rounds 200/);
    await assert.rejects(suite.run({ jsonFile: '/dev/null', model: 'resnet' }), /not "resnet"; pass --model/);
  });
});
