import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../core/log/index.ts';
import { waitFor } from '../../core/process/index.ts';
import { NetBed, type NetDaemon } from './bed.ts';
import { netnsUnavailable } from './hosts.ts';

const unavailable = netnsUnavailable();

/**
 * Issue 13 §4: the network over hosts that are network namespaces. Four public daemons (one on a
 * 5 Mbit/s link), two behind NAT, one joining late; every daemon is told only the coordinator.
 */
describe('the network across hosts', { skip: unavailable, timeout: 240_000 }, () => {
  let bed: NetBed;
  let late: NetDaemon;
  /** Rounds committed when the late joiner had fetched the model: it cannot judge those (it abstains). */
  let joinedAt = Number.POSITIVE_INFINITY;
  const byName = (name: string): NetDaemon => bed.daemons.find((daemon) => daemon.name === name)!;

  before(async () => {
    bed = await NetBed.start({
      logger: createLogger({ name: 'net', level: 'silent' }),
      daemons: [{ name: 'd1' }, { name: 'd2' }, { name: 'd3' }, { name: 'slow', mbit: 5 }, { name: 'nat1', nat: true }, { name: 'nat2', nat: true }, { name: 'late' }],
      lateJoiners: 1,
      round: { maxWaitMs: 20_000, minQuorum: 3 },
      // Auditors get half the window to fetch a new model; the devnet's 10 s leaves 5, which seven
      // daemons training on a shared 2-core machine sometimes miss (a verdict 'unavailable').
      challengeWindowSeconds: 40,
    });
    late = byName('late');
  });

  after(async () => {
    await bed?.stop();
  });

  test('rounds commit and every daemon holds connections to other daemons, not only to the coordinator', async () => {
    await bed.waitForRounds(3, 150_000);
    const started = bed.daemons.filter((daemon) => daemon !== late);
    await waitFor('daemon-to-daemon connections on every host', () => (started.every((daemon) => bed.daemonNeighbours(daemon).length > 0) ? true : undefined), { timeoutMs: 30_000, pollMs: 500 })
      .catch(() => assert.fail(started.map((daemon) => `${daemon.name} holds [${bed.daemonNeighbours(daemon).join(', ')}], last said: ${bed.tail(daemon)}`).join('\n')));
  });

  test('a late joiner fetches the current model from peers, not the coordinator, and contributes within two rounds', async () => {
    bed.startDaemon(late);
    joinedAt = await waitFor('the late joiner fetching the model', async () => (late.lines.some((line) => /^fetched model /.test(String(line.msg))) ? bed.roundCount() : undefined), { timeoutMs: 90_000, pollMs: 250 });
    const fetched = late.lines.find((line) => /^fetched model /.test(String(line.msg)))!;
    assert.equal(fetched.fromHub, false, `the late joiner took the model from the coordinator: ${String(fetched.msg)}`);
    assert.notEqual(fetched.from, bed.coordinatorPeerId);
    await bed.waitForRounds(joinedAt + 2, 60_000);
    const rounds = [joinedAt + 1, joinedAt + 2];
    const contributed = await Promise.all(rounds.map(async (round) => (await bed.contributors(round)).includes(late.node.address.toLowerCase())));
    assert.ok(contributed.some(Boolean), `the late joiner (joined after round ${joinedAt}) is in neither round ${rounds.join(' nor ')}`);
  });

  test('the daemons behind NAT contribute, and reach each other through a relay or a punched hole', async () => {
    const last = await bed.roundCount();
    const contributors = new Set((await Promise.all(Array.from({ length: last }, (_, i) => bed.contributors(i + 1)))).flat());
    for (const name of ['nat1', 'nat2']) assert.ok(contributors.has(byName(name).node.address.toLowerCase()), `${name} never contributed`);
    // Neither can accept a connection; one between them is relayed (through a public peer) or hole-punched (DCUtR).
    const [nat1, nat2] = [byName('nat1'), byName('nat2')];
    const linked = (a: NetDaemon, b: NetDaemon): boolean => bed.daemonNeighbours(a).includes(b.name) || bed.relayedTo(a).includes(bed.peerId(b) ?? '-');
    await waitFor('a connection between the two NAT\'d daemons', () => (linked(nat1, nat2) || linked(nat2, nat1) ? true : undefined), { timeoutMs: 30_000, pollMs: 500 })
      .catch(() => assert.fail(`nat1 holds ${bed.daemonNeighbours(nat1).join(', ')}; nat2 holds ${bed.daemonNeighbours(nat2).join(', ')}`));
  });

  test('at least 90% of the audits on every host match', async () => {
    await bed.waitForRounds((await bed.roundCount()) + 1, 60_000);
    for (const daemon of bed.daemons) {
      const audits = bed.audits(daemon).filter((audit) => daemon !== late || audit.round > joinedAt);
      assert.ok(audits.length > 0, `${daemon.name} audited nothing`);
      const matched = audits.filter((audit) => audit.verdict === 'match').length;
      assert.ok(matched / audits.length >= 0.9, `${daemon.name}: ${matched} of ${audits.length} audits match (${audits.map((audit) => `${audit.round}: ${audit.verdict} ${audit.reason ?? ''}`).join('; ')})`);
    }
  });
});

if (unavailable !== undefined) test(`net suite skipped: ${unavailable}`, { skip: true }, () => undefined);
