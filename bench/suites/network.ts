import { createLogger } from '../../core/log/index.ts';
import { waitFor } from '../../core/process/index.ts';
import { NetBed } from '../../test/net/bed.ts';
import { netnsUnavailable } from '../../test/net/hosts.ts';
import type { HostSpec } from '../../test/net/hosts.ts';
import { GradnetError } from '../../core/errors.ts';

/** Rounds committed before measuring (the mesh forms, every daemon has the model), then rounds measured. */
const WARMUP_ROUNDS = 2;
const MEASURED_ROUNDS = 6;

/**
 * `gradnet bench network --peers N`: N daemons on hosts of their own (network namespaces, a
 * quarter of them behind NAT) with top-k updates, bootstrapped from the coordinator only. Over
 * MEASURED_ROUNDS rounds it measures the round time (commit to commit), each host's bytes on its
 * link, how much of all bytes sent the coordinator sent, the audits' match rate and the
 * connections made through a relay. `coordinatorShareOfBytesOut` counts libp2p (gossip and blobs:
 * what the mesh should carry); `coordinatorShareOfAllBytesOut` adds HTTP (the coordinator's API,
 * which daemons read reward history from, and chain JSON-RPC), counted apart by iptables.
 */
export async function run(options: { jsonFile: string; peers?: number }): Promise<Record<string, unknown>> {
  const peers = options.peers ?? 4;
  const unavailable = netnsUnavailable();
  if (unavailable !== undefined) throw new GradnetError('NETWORK_NEEDS_NAMESPACES', `bench network builds its hosts as network namespaces, but ${unavailable}`, { value: peers });
  const daemons: HostSpec[] = Array.from({ length: peers }, (_, i) => ({ name: `p${i + 1}`, nat: i >= peers - Math.floor(peers / 4) }));
  const bed = await NetBed.start({ logger: createLogger({ name: 'bench-network', level: 'silent' }), daemons, codec: 'topk', round: { maxWaitMs: 30_000 } });
  try {
    const start = await bed.waitForRounds(WARMUP_ROUNDS, 300_000);
    const hosts = [bed.coordinatorHost, ...bed.daemons.map((daemon) => daemon.host)];
    const before = hosts.map((host) => bed.hosts.bytes(host));
    const httpBefore = hosts.map((host) => bed.hosts.portBytes(host));
    const commits: number[] = [performance.now()];
    let seen = start;
    await waitFor(`${MEASURED_ROUNDS} measured rounds`, async () => {
      const count = await bed.roundCount();
      for (; seen < count; seen++) commits.push(performance.now());
      return count >= start + MEASURED_ROUNDS ? true : undefined;
    }, { timeoutMs: 60_000 * MEASURED_ROUNDS, pollMs: 100 });
    const rounds = seen - start;
    const sent = hosts.map((host, i) => ({ in: bed.hosts.bytes(host).in - before[i].in, out: bed.hosts.bytes(host).out - before[i].out }));
    const daemonBytes = sent.slice(1);
    const totalOut = sent.reduce((sum, bytes) => sum + bytes.out, 0);
    // libp2p alone (gossip and blobs): the link's bytes less its HTTP (chain RPC, coordinator API).
    const p2pOut = hosts.map((host, i) => sent[i].out - (bed.hosts.portBytes(host).out - httpBefore[i].out));
    const seconds = commits.slice(1).map((at, i) => (at - commits[i]) / 1000);
    const audits = bed.daemons.flatMap((daemon) => bed.audits(daemon)).filter((audit) => audit.round > start && audit.round <= start + rounds);
    return {
      suite: 'network',
      peers,
      natPeers: daemons.filter((daemon) => daemon.nat).length,
      rounds,
      codec: 'topk',
      roundSeconds: { p50: round(quantile(seconds, 0.5)), p95: round(quantile(seconds, 0.95)) },
      bytesPerPeerPerRound: {
        in: Math.round(daemonBytes.reduce((sum, bytes) => sum + bytes.in, 0) / peers / rounds),
        out: Math.round(daemonBytes.reduce((sum, bytes) => sum + bytes.out, 0) / peers / rounds),
      },
      coordinatorShareOfBytesOut: round(p2pOut[0] / p2pOut.reduce((sum, bytes) => sum + bytes, 0)),
      coordinatorShareOfAllBytesOut: round(sent[0].out / totalOut),
      coordinatorHttpBytesOutPerRound: Math.round((sent[0].out - p2pOut[0]) / rounds),
      auditMatchRate: audits.length === 0 ? 0 : round(audits.filter((audit) => audit.verdict === 'match').length / audits.length),
      audits: audits.length,
      auditVerdicts: Object.fromEntries([...new Set(audits.map((audit) => audit.verdict))].map((verdict) => [verdict, audits.filter((audit) => audit.verdict === verdict).length])),
      relayed: bed.daemons.reduce((sum, daemon) => sum + bed.relayedTo(daemon).length, 0),
      loadAverage: (await import('node:os')).loadavg()[0],
    };
  } finally {
    await bed.stop();
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
