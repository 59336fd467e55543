import { createLogger } from '../../core/log/index.ts';
import { waitFor } from '../../core/process/index.ts';
import { NetBed, type NetDaemon } from '../../test/net/bed.ts';
import { netnsUnavailable } from '../../test/net/hosts.ts';
import type { HostSpec } from '../../test/net/hosts.ts';
import type { ChildLogLine } from '../../core/process/index.ts';

/** Rounds committed before measuring (the mesh forms, every daemon has the model), then rounds measured. */
const WARMUP_ROUNDS = 2;
const MEASURED_ROUNDS = 6;
/** Time each measured round may take before the bench measures the rounds it has. */
const ROUND_BUDGET_MS = 150_000;
/**
 * The challenge window the bench deploys with. Auditors have half of it to fetch a new model and
 * the round's updates; the devnet's 10 s (5 s to audit) assumes a few daemons on an idle machine,
 * while 16 daemons training on 2 cores take 15-40 s to get a model. Real deployments use an hour.
 */
const CHALLENGE_WINDOW_SECONDS = 120;

export interface NetworkBenchOptions {
  jsonFile: string;
  peers?: number;
  /** Run every daemon on 127.0.0.1 (no root, no NAT, no shaping); chosen anyway when namespaces cannot be built. */
  loopback?: boolean;
  warmupRounds?: number;
  measuredRounds?: number;
}

/**
 * `gradnet bench network --peers N`: N daemons on hosts of their own (network namespaces, a
 * quarter of them behind NAT; or, without root or with `--loopback`, processes on 127.0.0.1) with
 * top-k updates, bootstrapped from the coordinator only. Over the measured rounds it measures the
 * round time (commit to commit), each host's bytes, how much of all bytes sent the coordinator
 * sent, the audits' match rate and the connections made through a relay.
 * `coordinatorShareOfBytesOut` counts libp2p (gossip and blobs: what the mesh should carry);
 * `coordinatorShareOfAllBytesOut` adds HTTP (the coordinator's API, which daemons read reward
 * history from, and chain JSON-RPC), counted apart. `roundPhasesSeconds` splits a round into what
 * the CPU does (training, the coordinator's aggregation and scoring) and what the network does
 * (fetching the new model), medians over daemons and rounds: on a shared 2-core machine the
 * first grow with the number of daemons training at once, whatever the network.
 */
export async function run(options: NetworkBenchOptions): Promise<Record<string, unknown>> {
  const peers = options.peers ?? 4;
  const warmup = options.warmupRounds ?? WARMUP_ROUNDS;
  const measured = options.measuredRounds ?? MEASURED_ROUNDS;
  const whyNotNamespaces = options.loopback ? 'asked for loopback' : netnsUnavailable();
  const loopback = whyNotNamespaces !== undefined;
  const daemons: HostSpec[] = Array.from({ length: peers }, (_, i) => ({ name: `p${i + 1}`, nat: !loopback && i >= peers - Math.floor(peers / 4) }));
  const bed = await NetBed.start({
    logger: createLogger({ name: 'bench-network', level: 'silent' }), daemons, codec: 'topk', round: { maxWaitMs: 30_000 }, challengeWindowSeconds: CHALLENGE_WINDOW_SECONDS, loopback,
  });
  try {
    const start = await bed.waitForRounds(warmup, 600_000);
    const hosts = [bed.coordinatorHost, ...bed.daemons.map((daemon) => daemon.host)];
    const before = hosts.map((host) => bed.hosts.bytes(host));
    const httpBefore = hosts.map((host) => bed.hosts.portBytes(host));
    const commits: number[] = [performance.now()];
    let seen = start;
    // Rounds on a loaded machine can take minutes: what committed within the budget is measured.
    const budgetEnds = performance.now() + ROUND_BUDGET_MS * measured;
    while (seen < start + measured && performance.now() < budgetEnds) {
      const count = await bed.roundCount();
      for (; seen < count; seen++) commits.push(performance.now());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const rounds = seen - start;
    if (rounds === 0) throw new Error(`no round committed within ${ROUND_BUDGET_MS / 1000} s of round ${start}`);
    const measuredRound = (round: number): boolean => round > start && round <= start + rounds;
    // Audits of the last measured round conclude after its commit: wait for them (at most half the window).
    await waitFor('the audits of the measured rounds', () => (bed.daemons.every((daemon) => bed.audits(daemon).some((audit) => audit.round >= start + rounds)) ? true : undefined), { timeoutMs: (CHALLENGE_WINDOW_SECONDS / 2) * 1000, pollMs: 250 }).catch(() => undefined);
    const sent = hosts.map((host, i) => ({ in: bed.hosts.bytes(host).in - before[i].in, out: bed.hosts.bytes(host).out - before[i].out }));
    const daemonBytes = sent.slice(1);
    const totalOut = sent.reduce((sum, bytes) => sum + bytes.out, 0);
    // libp2p alone (gossip and blobs): the host's bytes less its HTTP (chain RPC, coordinator API).
    const p2pOut = hosts.map((host, i) => sent[i].out - (bed.hosts.portBytes(host).out - httpBefore[i].out));
    const seconds = commits.slice(1).map((at, i) => (at - commits[i]) / 1000);
    const audits = bed.daemons.flatMap((daemon) => bed.audits(daemon)).filter((audit) => measuredRound(audit.round));
    const notMatched = audits.filter((audit) => audit.verdict !== 'match');
    return {
      suite: 'network',
      network: bed.hosts.kind,
      ...(loopback ? { why: `loopback: ${whyNotNamespaces}; no NAT, no shaping, bytes are TCP payload counted per process` } : {}),
      peers,
      natPeers: daemons.filter((daemon) => daemon.nat).length,
      rounds,
      roundsAsked: measured,
      codec: 'topk',
      challengeWindowSeconds: CHALLENGE_WINDOW_SECONDS,
      roundSeconds: { p50: round(quantile(seconds, 0.5)), p95: round(quantile(seconds, 0.95)) },
      roundPhasesSeconds: roundPhases(bed, measuredRound),
      bytesPerPeerPerRound: {
        in: Math.round(daemonBytes.reduce((sum, bytes) => sum + bytes.in, 0) / peers / rounds),
        out: Math.round(daemonBytes.reduce((sum, bytes) => sum + bytes.out, 0) / peers / rounds),
      },
      coordinatorShareOfBytesOut: round(p2pOut[0] / p2pOut.reduce((sum, bytes) => sum + bytes, 0)),
      coordinatorShareOfAllBytesOut: round(sent[0].out / totalOut),
      coordinatorHttpBytesOutPerRound: Math.round((sent[0].out - p2pOut[0]) / rounds),
      auditMatchRate: audits.length === 0 ? 0 : round((audits.length - notMatched.length) / audits.length),
      audits: audits.length,
      auditVerdicts: Object.fromEntries([...new Set(audits.map((audit) => audit.verdict))].map((verdict) => [verdict, audits.filter((audit) => audit.verdict === verdict).length])),
      // Why the others did not match, a few distinct reasons (the model hash cut out so alike ones group).
      auditReasons: [...new Set(notMatched.map((audit) => String(audit.reason).replace(/0x[0-9a-f]{64}/gi, '0x…').slice(0, 160)))].slice(0, 4),
      relayed: bed.daemons.reduce((sum, daemon) => sum + bed.relayedTo(daemon).length, 0),
      loadAverage: (await import('node:os')).loadavg()[0],
    };
  } finally {
    await bed.stop();
  }
}

/**
 * Medians over the measured rounds: a daemon's model fetch (the round's base, over the blob
 * protocol) and training, and the coordinator's aggregation (closed to checkpoint written, with
 * scoring) and commit (checkpoint to receipt).
 */
function roundPhases(bed: NetBed, measuredRound: (round: number) => boolean): Record<string, number> {
  const daemonFigure = (pick: (line: ChildLogLine) => number | undefined): number[] => bed.daemons.flatMap((daemon: NetDaemon) => daemon.lines.flatMap((line) => {
    const value = pick(line);
    return value === undefined ? [] : [value / 1000];
  }));
  // A fetched model of round r is the base of round r + 1.
  const fetch = daemonFigure((line) => (/^fetched model /.test(String(line.msg)) && measuredRound(Number(line.round) + 1) ? Number(line.ms) : undefined));
  const train = daemonFigure((line) => (typeof line.trainMs === 'number' && measuredRound(Number(line.round)) ? line.trainMs : undefined));
  const at = (message: string): Map<number, number> => new Map(bed.coordinatorLines.filter((line) => line.msg === message && measuredRound(Number(line.round))).map((line) => [Number(line.round), Number(line.time)]));
  const closed = at('round closed; aggregating');
  const aggregated = at('round aggregated; checkpoint written');
  const committed = at('round committed');
  const between = (from: Map<number, number>, to: Map<number, number>): number[] => [...from].flatMap(([id, time]) => (to.has(id) ? [(to.get(id)! - time) / 1000] : []));
  return {
    modelFetchP50: round(quantile(fetch, 0.5)),
    modelFetchP95: round(quantile(fetch, 0.95)),
    trainP50: round(quantile(train, 0.5)),
    trainP95: round(quantile(train, 0.95)),
    aggregateP50: round(quantile(between(closed, aggregated), 0.5)),
    commitP50: round(quantile(between(aggregated, committed), 0.5)),
  };
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
