import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../bench/suites/network.ts';

/**
 * `gradnet bench network` on a machine without root (or with --loopback): three daemons on
 * 127.0.0.1, the same figures as on namespaces, bytes counted per process.
 */
test('bench network on loopback: three daemons commit rounds, carry the gossip, and their audits match', { timeout: 240_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gradnet-bench-network-'));
  try {
    const result = await run({ jsonFile: join(dir, 'network.json'), peers: 3, loopback: true, warmupRounds: 1, measuredRounds: 2 });
    t.diagnostic(JSON.stringify(result));
    assert.equal(result.network, 'loopback');
    assert.equal(result.natPeers, 0);
    assert.equal(result.rounds, 2);
    const roundSeconds = result.roundSeconds as { p50: number; p95: number };
    assert.ok(roundSeconds.p50 > 0 && roundSeconds.p95 >= roundSeconds.p50, JSON.stringify(roundSeconds));
    const bytes = result.bytesPerPeerPerRound as { in: number; out: number };
    // A top-k update of the MLP is some tens of kilobytes: every daemon sends and receives at least one a round.
    assert.ok(bytes.in > 10_000 && bytes.out > 10_000, JSON.stringify(bytes));
    const share = result.coordinatorShareOfBytesOut as number;
    assert.ok(share > 0 && share < 1, `coordinator share ${share}`);
    assert.ok((result.audits as number) >= 3, `audits ${result.audits}`);
    assert.ok((result.auditMatchRate as number) >= 0.8, JSON.stringify({ verdicts: result.auditVerdicts, reasons: result.auditReasons }));
    const phases = result.roundPhasesSeconds as Record<string, number>;
    assert.ok(phases.trainP50 > 0 && phases.aggregateP50 > 0, JSON.stringify(phases));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
