import { createLogger } from '../../core/log/index.ts';
import { blobSlowLoris, claimAllRewards, CommitWatch, describeFault, findViolations, injectFault, snapshotNetwork, type Fault, type NetworkSnapshot } from '../../test/support/chaos.ts';
import { seededRandom } from '../../test/support/random.ts';
import { TOPOLOGY_STAKE, Topology } from '../../test/support/topology.ts';

// The chaos suite at length: the process topology and the faults of test/chaos (its launcher and
// checks live in test/support, shared with that test, rather than in a copy here).

const SEED = 20_261_129;
const FAULTS = 30;
/** A round that lost a node closes with the others after this long. */
const ROUND = { maxWaitMs: 15_000, livenessMs: 8_000 };
/** Longest the network may go without a commit after a fault before the run gives up. */
const RECOVERY_MS = 120_000;
/** How often each kind of fault is drawn. */
const WEIGHTS = { 'peer-killed': 10, 'coordinator-killed': 4, 'rpc-outage': 2, 'blob-slow-loris': 1, 'peer-stopped': 1 } as const;
type FaultKind = keyof typeof WEIGHTS;

/**
 * `FAULTS` faults drawn from a seeded generator, injected one after another into one running
 * topology (devnet, coordinator, 3 daemons) at random moments: SIGKILLs of peers at every phase of
 * a round and of the coordinator mid-collection and mid-commit, RPC outages of 3-12 s, blob
 * slow-lorises, and peers stopped for a while (two rounds without them, then started again).
 * After each fault every owner claims, and the properties are checked; the figures count the
 * distinct violations seen, and the longest time without a commit.
 */
export async function run(_options: { jsonFile: string }): Promise<Record<string, unknown>> {
  const logger = createLogger({ name: 'bench-chaos', level: 'warn' });
  const random = seededRandom(SEED);
  const say = (line: string): void => {
    process.stderr.write(`chaos: ${line}\n`);
  };
  const started = performance.now();
  const topology = await Topology.start({ logger, round: ROUND });
  const watch = new CommitWatch(topology);
  const seen = { slashed: new Set<string>(), 'double-counted': new Set<string>(), overpaid: new Set<string>() };
  const slashedNodes = new Set<string>();
  const byKind: Record<string, number> = {};
  const errors: string[] = [];
  let slowLorisFetchFailures = 0;
  let faults = 0;
  try {
    const firstRound = await topology.roundCount();
    const record = (snapshot: NetworkSnapshot): void => {
      for (const violation of findViolations(snapshot)) {
        if (!seen[violation.kind].has(violation.detail)) say(`VIOLATION ${violation.kind}: ${violation.detail}`);
        seen[violation.kind].add(violation.detail);
      }
      for (const node of snapshot.nodes) if (!node.active || node.stake < TOPOLOGY_STAKE) slashedNodes.add(node.name);
    };
    for (; faults < FAULTS; faults++) {
      const kind = draw(random);
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      // A random moment, so that kills and outages land at different points of a round.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3000)));
      const before = await topology.roundCount();
      try {
        say(`fault ${faults + 1}/${FAULTS} at round ${before}: ${await inject(topology, kind, random, () => slowLorisFetchFailures++)}`);
      } catch (error) {
        errors.push(`${kind}: ${(error as Error).message}`);
        say(`fault ${faults + 1} (${kind}) did not go as planned: ${(error as Error).message}`);
      }
      try {
        await topology.waitForRounds((await topology.roundCount()) + 1, RECOVERY_MS);
      } catch {
        errors.push(`no round committed within ${RECOVERY_MS / 1000} s after fault ${faults + 1} (${kind}); the run stops there`);
        faults++;
        break;
      }
      await claimAllRewards(topology);
      record(await snapshotNetwork(topology));
    }
    const roundsCommitted = (await topology.roundCount()) - firstRound;
    return {
      suite: 'chaos',
      faults,
      roundsCommitted,
      honestSlashed: slashedNodes.size,
      doubleCounted: seen['double-counted'].size,
      maxStallSeconds: Math.round(watch.longestStallMs() / 100) / 10,
      rewardsOverpaid: seen.overpaid.size,
      // Slashes seen in any form (a node's stake or status, or the coordinator setting out to slash).
      slashingsSeen: seen.slashed.size,
      slowLorisHonestFetchFailures: slowLorisFetchFailures,
      faultsByKind: byKind,
      errors,
      seed: SEED,
      seconds: Math.round((performance.now() - started) / 1000),
    };
  } finally {
    watch.close();
    await topology.stop();
  }
}

function draw(random: () => number): FaultKind {
  const entries = Object.entries(WEIGHTS) as [FaultKind, number][];
  let ticket = random() * entries.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [kind, weight] of entries) {
    ticket -= weight;
    if (ticket < 0) return kind;
  }
  return entries[entries.length - 1][0];
}

/** Injects one fault of `kind` with random parameters and puts the topology back to three peers; returns what happened. */
async function inject(topology: Topology, kind: FaultKind, random: () => number, onFetchFailed: () => void): Promise<string> {
  const peer = Math.floor(random() * topology.peers.length);
  const pick = <T>(options: readonly T[]): T => options[Math.floor(random() * options.length)];
  let fault: Fault;
  switch (kind) {
    case 'blob-slow-loris': {
      const attack = await blobSlowLoris(topology, 50, 2_000);
      // Held a few seconds, long enough for the daemons to need the model meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await attack.release();
      if (!('ms' in attack.honestFetch)) onFetchFailed();
      return `blob slow-loris: ${attack.opened} silent streams; honest fetch ${'ms' in attack.honestFetch ? `${attack.honestFetch.ms} ms` : `failed (${attack.honestFetch.failed})`}`;
    }
    case 'peer-killed':
      fault = { kind, peer, phase: pick(['fetching', 'training', 'after-commit', 'after-gossip'] as const) };
      break;
    case 'coordinator-killed':
      fault = { kind, phase: pick(['collecting', 'committing'] as const) };
      break;
    case 'rpc-outage':
      fault = { kind, ms: 3_000 + Math.floor(random() * 9_000) };
      break;
    case 'peer-stopped':
      fault = { kind, peer };
      break;
  }
  const hit = await injectFault(topology, fault);
  if (fault.kind !== 'peer-stopped') return `${describeFault(fault)}: ${hit}`;
  // Two rounds without it, then it comes back, so that the next faults have three peers to hurt.
  await topology.waitForRounds((await topology.roundCount()) + 2, RECOVERY_MS);
  topology.startPeer(fault.peer);
  return `${describeFault(fault)}: ${hit}; two rounds committed without it, then started again`;
}
