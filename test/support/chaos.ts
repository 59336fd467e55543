import { setTimeout as sleep } from 'node:timers/promises';
import { multiaddr } from '@multiformats/multiaddr';
import { createPublicClient, getAddress, http, type Address, type Hex } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { connectGradnet, type GradnetChain } from '../../core/chain/index.ts';
import { BLOB_PROTOCOL, createGradnetNode, type GradnetNode } from '../../core/p2p/index.ts';
import { waitFor } from '../../core/process/index.ts';
import { createGossipValidator, gradnetDomain } from '../../core/protocol/index.ts';
import { decodeCheckpoint } from '../../core/tensor/index.ts';
import { TOPOLOGY_STAKE, type Topology } from './topology.ts';

// Faults to inject into a running Topology, and the properties that must survive them: no
// honest node slashed, no update counted twice, no reward paid twice, rounds keep committing.

/** Where in a round a daemon is killed: the line it logs as it enters that phase. */
export const PEER_PHASES = {
  /** It learnt of the round and is fetching the round's model. */
  fetching: /^round \d+ is open on model/,
  training: /^training round \d+/,
  /** Its commitment is out, its signed update not yet (it waits for the reveal). */
  'after-commit': /^gossiped the commitment to its update for round \d+/,
  /** Its signed update is out, with the round still open. */
  'after-gossip': /^gossiped update for round \d+/,
} as const;
export type PeerPhase = keyof typeof PEER_PHASES;

export type Fault =
  | { kind: 'peer-killed'; peer: number; phase: PeerPhase }
  | { kind: 'coordinator-killed'; phase: 'collecting' | 'committing' }
  | { kind: 'rpc-outage'; ms: number }
  | { kind: 'peer-stopped'; peer: number };

export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'peer-killed':
      return `SIGKILL peer-${fault.peer + 1} ${fault.phase}`;
    case 'coordinator-killed':
      return `SIGKILL the coordinator ${fault.phase === 'collecting' ? 'mid-collection' : 'mid-commit'}`;
    case 'rpc-outage':
      return `RPC down for ${fault.ms / 1000} s`;
    case 'peer-stopped':
      return `stop peer-${fault.peer + 1}`;
  }
}

/** How long a fault may take to reach its moment (a phase comes round every few seconds). */
const REACH_TIMEOUT_MS = 60_000;

/**
 * Injects `fault` and puts back what it broke (a killed process is started again on the same
 * data directory; a stopped peer is not). Returns what the fault hit, for the log.
 */
export async function injectFault(topology: Topology, fault: Fault): Promise<string> {
  switch (fault.kind) {
    case 'peer-killed':
      return killPeer(topology, fault.peer, fault.phase);
    case 'coordinator-killed':
      return fault.phase === 'collecting' ? killCoordinatorCollecting(topology) : killCoordinatorCommitting(topology);
    case 'rpc-outage':
      topology.relay.down = true;
      await sleep(fault.ms);
      topology.relay.down = false;
      return `the relay refused every request for ${fault.ms} ms`;
    case 'peer-stopped': {
      const daemon = topology.peers[fault.peer].daemon;
      if (daemon === undefined) throw new Error(`peer-${fault.peer + 1} is not running`);
      await topology.stopProcess(daemon);
      return `peer-${fault.peer + 1} stopped at round ${await topology.roundCount()}`;
    }
  }
}

async function killPeer(topology: Topology, index: number, phase: PeerPhase): Promise<string> {
  const peer = topology.peers[index];
  const daemon = peer.daemon;
  if (daemon === undefined) throw new Error(`${peer.name} is not running`);
  const before = daemon.lines.length;
  daemon.killOn(PEER_PHASES[phase]);
  // The timer is cancelled once the kill lands: a pending one would keep a finished benchmark alive.
  const timer = new AbortController();
  const exited = await Promise.race([daemon.child.exited, sleep(REACH_TIMEOUT_MS, 'timeout' as const, { signal: timer.signal })]);
  timer.abort();
  if (exited === 'timeout') throw new Error(`${peer.name} did not reach "${phase}" within ${REACH_TIMEOUT_MS / 1000} s`);
  const last = daemon.lines.slice(before).findLast((line) => PEER_PHASES[phase].test(String(line.msg)));
  topology.startPeer(index);
  return `${peer.name} killed at "${last?.msg ?? '?'}"`;
}

interface ApiStatus {
  phase: string;
  round: number | null;
  accepted: number;
}

async function killCoordinatorCollecting(topology: Topology): Promise<string> {
  const coordinator = runningCoordinator(topology);
  const status = await waitFor('the coordinator to hold an accepted update', async () => {
    const current = await topology.apiGet<ApiStatus>('/status');
    return current?.phase === 'collecting' && current.accepted >= 1 ? current : undefined;
  }, { timeoutMs: REACH_TIMEOUT_MS, pollMs: 50, child: coordinator.child });
  await topology.kill(coordinator);
  await topology.startCoordinator();
  return `coordinator killed collecting round ${status.round} with ${status.accepted} accepted`;
}

/**
 * Stops the devnet mining, so the commit transaction waits in the mempool, and kills the
 * coordinator while its round is `committing` with that transaction pending. The chain mines
 * again while the coordinator starts: it must find its own transaction instead of sending another.
 */
async function killCoordinatorCommitting(topology: Topology): Promise<string> {
  const coordinator = runningCoordinator(topology);
  const rpc = devnetRpc(topology);
  await rpc('evm_setAutomine', [false]);
  try {
    const status = await waitFor('the commit transaction to be pending', async () => {
      const current = await topology.apiGet<ApiStatus>('/status');
      if (current?.phase !== 'committing') return undefined;
      const pending = (await rpc('eth_getBlockByNumber', ['pending', false])) as { transactions: unknown[] };
      return pending.transactions.length > 0 ? current : undefined;
    }, { timeoutMs: REACH_TIMEOUT_MS, pollMs: 100, child: coordinator.child });
    await topology.kill(coordinator);
    await rpc('evm_setIntervalMining', [1000]);
    await topology.startCoordinator();
    return `coordinator killed committing round ${status.round} with its transaction pending`;
  } finally {
    await rpc('evm_setIntervalMining', [0]);
    await rpc('evm_setAutomine', [true]);
  }
}

function runningCoordinator(topology: Topology): NonNullable<Topology['coordinator']> {
  const coordinator = topology.coordinator;
  if (coordinator === undefined) throw new Error('the coordinator is not running');
  return coordinator;
}

function devnetRpc(topology: Topology): (method: string, params: unknown[]) => Promise<unknown> {
  const client = createPublicClient({ transport: http(topology.rpcUrl) });
  return (method, params) => client.request({ method: method as never, params: params as never });
}

/** What a slow-loris did to the coordinator's blob server. */
export interface SlowLoris {
  /** Silent streams the server let open. */
  opened: number;
  /** How long an honest fetch of the latest model took meanwhile, or why it failed. */
  honestFetch: { ms: number } | { failed: string };
  /** Hangs up the silent streams. */
  release(): Promise<void>;
}

/**
 * Opens `streams` `/gradnet/blob/1` streams to the coordinator from one stranger and never
 * writes on them, then times an honest fetch of the latest model from a second peer.
 */
export async function blobSlowLoris(topology: Topology, streams: number, fetchTimeoutMs: number): Promise<SlowLoris> {
  const [attacker, honest] = [strangerNode(topology), strangerNode(topology)];
  const started: GradnetNode[] = [];
  try {
    for (const node of [attacker, honest]) {
      await node.start({ signal: AbortSignal.timeout(15_000) });
      started.push(node);
    }
    const coordinator = multiaddr(topology.bootstrap);
    const opened = (await Promise.allSettled(Array.from({ length: streams }, () => attacker.libp2p().dialProtocol(coordinator, BLOB_PROTOCOL, { signal: AbortSignal.timeout(10_000) }))))
      .filter((result) => result.status === 'fulfilled').length;
    await honest.libp2p().dial(coordinator, { signal: AbortSignal.timeout(10_000) });
    const hash = await topology.chain.ledger.latestModelHash();
    const begun = performance.now();
    let honestFetch: SlowLoris['honestFetch'];
    try {
      await honest.fetchBlob(hash, {
        peers: [topology.bootstrap.split('/p2p/')[1]],
        signal: AbortSignal.timeout(fetchTimeoutMs),
        verify: (bytes) => decodeCheckpoint(bytes, hash).modelHash === hash,
      });
      honestFetch = { ms: Math.round(performance.now() - begun) };
    } catch (error) {
      honestFetch = { failed: (error as Error).message };
    }
    return { opened, honestFetch, release: () => stopNodes(started) };
  } catch (error) {
    await stopNodes(started);
    throw error;
  }
}

/** A libp2p peer with a fresh key, registered nowhere: what anyone can run. */
function strangerNode(topology: Topology): GradnetNode {
  const { deployments } = topology.chain;
  const ledger = deployments.contracts.RoundLedger.address;
  return createGradnetNode({
    privateKey: generatePrivateKey(),
    chainId: deployments.chainId,
    ledger,
    validator: createGossipValidator({ domain: gradnetDomain(deployments.chainId, ledger), directory: topology.chain.registry, context: () => undefined, isCoordinator: () => false }),
  });
}

async function stopNodes(nodes: readonly GradnetNode[]): Promise<void> {
  await Promise.allSettled(nodes.map((node) => node.stop()));
}

// ---- the properties ----------------------------------------------------------------------

/** What the checks read: the registry, the ledger, the vault and the coordinator's API, at one moment. */
export interface NetworkSnapshot {
  /** Registered nodes, all honest: each must still be active with its whole stake. */
  nodes: { name: string; nodeKey: Address; active: boolean; stake: bigint }[];
  /** The coordinator's log lines about equivocation or slashing. */
  slashLines: string[];
  rounds: RoundSnapshot[];
  owners: OwnerRewards[];
  /** What the ledger minted for rewards over all committed rounds. */
  totalRewardBudget: bigint;
}

export interface RoundSnapshot {
  round: number;
  /** RoundCommitted events for this round id. */
  commitEvents: number;
  contributors: number;
  /** Updates the coordinator accepted for the round. */
  accepted: { nodeKey: string; digest: string }[];
  /** The digests the round was aggregated from (the updatesRoot leaves). */
  aggregated: string[];
  rewards: { owner: string; amount: bigint }[];
}

export interface OwnerRewards {
  owner: Address;
  /** The cumulative reward in the latest rewards tree (0 when the owner is not in it). */
  cumulative: bigint;
  /** What the vault has paid out. */
  claimed: bigint;
}

export type ViolationKind = 'slashed' | 'double-counted' | 'overpaid';

export interface Violation {
  kind: ViolationKind;
  detail: string;
}

interface ApiRound {
  contributors: number | null;
  updatesPage?: { total: number };
  updates: { nodeKey: string | null; digest: string | null; verdict: string }[];
  digests: string[];
  rewards: { owner: string; amount: string }[];
}

/** Reads everything the checks need; the coordinator must be up (its API is read). */
export async function snapshotNetwork(topology: Topology): Promise<NetworkSnapshot> {
  const { chain } = topology;
  chain.registry.invalidate();
  const nodes = await Promise.all(topology.peers.map(async (peer) => {
    const node = await chain.registry.nodeOf(peer.owner.address);
    return { name: peer.name, nodeKey: peer.node.address, active: node.active && getAddress(node.nodeKey) === peer.node.address, stake: node.stake };
  }));
  const committed = await chain.ledger.listRounds();
  const rounds: RoundSnapshot[] = [];
  for (const roundId of [...new Set(committed.map((round) => round.roundId))].sort((a, b) => a - b)) {
    const events = committed.filter((round) => round.roundId === roundId);
    const api = await topology.apiGet<ApiRound>(`/rounds/${roundId}`);
    if (api === undefined) throw new Error(`the coordinator's API does not answer /rounds/${roundId}`);
    if (api.updatesPage !== undefined && api.updatesPage.total > api.updates.length) throw new Error(`round ${roundId} has ${api.updatesPage.total} updates, more than one page of /rounds/${roundId}: page through them`);
    rounds.push({
      round: roundId,
      commitEvents: events.length,
      contributors: events[0].contributors,
      accepted: api.updates.filter((update) => update.verdict === 'accepted').map((update) => ({ nodeKey: String(update.nodeKey).toLowerCase(), digest: String(update.digest).toLowerCase() })),
      aggregated: api.digests.map((digest) => digest.toLowerCase()),
      rewards: api.rewards.map((reward) => ({ owner: reward.owner.toLowerCase(), amount: BigInt(reward.amount) })),
    });
  }
  const owners = await Promise.all(topology.peers.map(async ({ owner }) => ({
    owner: owner.address,
    cumulative: await cumulativeAsOfLatestCommit(topology, owner.address),
    claimed: (await chain.vault.claimed(owner.address)).reward,
  })));
  return {
    nodes,
    slashLines: topology.coordinatorLog.map((line) => String(line.msg)).filter((msg) => /slash|equivocation/i.test(msg)),
    rounds,
    owners,
    totalRewardBudget: await chain.ledger.totalRewardBudget(),
  };
}

/**
 * What the coordinator's rewards tree owes `owner` as of its latest committed round: /rewards serves
 * the latest final round's statement, and the latest committed one under `pending` while that is
 * still in its challenge window. The rounds are made final first, so an owner whose first reward is
 * still pending is answered too (the API's finality answer may lag a second).
 */
async function cumulativeAsOfLatestCommit(topology: Topology, owner: Hex): Promise<bigint> {
  type Statement = { cumulativeReward: string; pending: { cumulativeReward: string } | null };
  const earnedAnything = (await topology.roundCount()) > 0;
  const statement = await topology.apiGet<Statement>(`/rewards/${owner}`);
  if (statement !== undefined || !earnedAnything) return BigInt((statement?.pending ?? statement)?.cumulativeReward ?? 0);
  await finalizeCommittedRounds(topology);
  const answered = await waitFor('the rewards statement once its round is final', () => topology.apiGet<Statement>(`/rewards/${owner}`), { timeoutMs: 5_000 }).catch(() => undefined);
  return BigInt((answered?.pending ?? answered)?.cumulativeReward ?? 0);
}

/** Every broken property in `snapshot`, each with what shows it. Empty when all hold. */
export function findViolations(snapshot: NetworkSnapshot): Violation[] {
  const violations: Violation[] = [];
  const add = (kind: ViolationKind, detail: string): void => {
    violations.push({ kind, detail });
  };
  for (const node of snapshot.nodes) {
    if (!node.active || node.stake < TOPOLOGY_STAKE) add('slashed', `${node.name} (${node.nodeKey}) is ${node.active ? 'active' : 'not active'} with ${node.stake} wei staked of ${TOPOLOGY_STAKE}`);
  }
  for (const line of snapshot.slashLines) add('slashed', `the coordinator logged "${line}"`);

  for (const round of snapshot.rounds) {
    const where = `round ${round.round}`;
    if (round.commitEvents !== 1) add('double-counted', `${where} was committed ${round.commitEvents} times`);
    for (const [key, count] of tally(round.accepted.map((update) => update.nodeKey))) {
      if (count > 1) add('double-counted', `${where}: ${count} accepted updates of node ${key}`);
    }
    for (const [digest, count] of tally(round.aggregated)) {
      if (count > 1) add('double-counted', `${where}: digest ${digest} aggregated ${count} times`);
    }
    if (round.aggregated.some((digest) => !round.accepted.some((update) => update.digest === digest))) add('double-counted', `${where}: aggregated a digest it never accepted`);
    if (round.contributors !== round.aggregated.length) add('double-counted', `${where}: ${round.contributors} contributors on chain but ${round.aggregated.length} digests aggregated`);
    if (round.contributors > snapshot.nodes.length) add('double-counted', `${where}: ${round.contributors} contributors from ${snapshot.nodes.length} nodes`);
  }

  let owed = 0n;
  for (const owner of snapshot.owners) {
    const earned = snapshot.rounds.reduce((sum, round) => sum + round.rewards.filter((reward) => reward.owner === owner.owner.toLowerCase()).reduce((total, reward) => total + reward.amount, 0n), 0n);
    if (owner.cumulative !== earned) add('overpaid', `${owner.owner}: the rewards tree owes ${owner.cumulative} wei but its rounds' rewards add up to ${earned}`);
    if (owner.claimed > owner.cumulative) add('overpaid', `${owner.owner}: the vault paid ${owner.claimed} wei, more than the ${owner.cumulative} it earned`);
    owed += owner.cumulative;
  }
  if (owed !== snapshot.totalRewardBudget) add('overpaid', `the rewards tree owes ${owed} wei in all but the ledger minted ${snapshot.totalRewardBudget}`);
  return violations;
}

function tally(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/**
 * Every owner claims what the coordinator's latest rewards tree gives it, straight on the
 * devnet (not through the relay), as an operator would after each round once it is final (the
 * devnet's clock is moved past the challenge window first); returns the wei paid.
 */
export async function claimAllRewards(topology: Topology): Promise<bigint> {
  await finalizeCommittedRounds(topology);
  let paid = 0n;
  for (const { owner } of topology.peers) {
    const tree = await topology.apiGet<{ roundId: number; cumulativeReward: string; cumulativeSamples: string; cumulativeRounds: string; proof: Hex[] }>(`/rewards/${owner.address}`);
    if (tree === undefined) continue;
    const chain = await ownerChain(topology, owner.privateKey);
    const before = (await chain.vault.claimed(owner.address)).reward;
    if (BigInt(tree.cumulativeReward) <= before) continue;
    await chain.vault.claim({ roundId: tree.roundId, owner: owner.address, cumulativeReward: BigInt(tree.cumulativeReward), cumulativeSamples: BigInt(tree.cumulativeSamples), cumulativeRounds: BigInt(tree.cumulativeRounds), proof: tree.proof });
    paid += (await chain.vault.claimed(owner.address)).reward - before;
  }
  return paid;
}

/** Moves the devnet's clock past the challenge window: rewards are claimable from final rounds only. */
async function finalizeCommittedRounds(topology: Topology): Promise<void> {
  const devnet = createPublicClient({ transport: http(topology.rpcUrl) });
  await devnet.request({ method: 'evm_increaseTime' as never, params: [(await topology.chain.ledger.challengeWindow()) + 1] as never });
  await devnet.request({ method: 'evm_mine' as never, params: [] as never });
}

const ownerChains = new Map<string, Promise<GradnetChain>>();

function ownerChain(topology: Topology, privateKey: Hex): Promise<GradnetChain> {
  const key = `${topology.rpcUrl}|${privateKey}`;
  let chain = ownerChains.get(key);
  if (chain === undefined) {
    chain = connectGradnet({ rpcUrl: topology.rpcUrl, deployments: topology.chain.deployments, account: privateKey });
    ownerChains.set(key, chain);
  }
  return chain;
}

/** Waits until a round after `afterRound` is committed with an update of peer `index` in it: the peer is back at work. */
export async function waitForContribution(topology: Topology, index: number, afterRound: number, timeoutMs: number): Promise<number> {
  const nodeKey = topology.peers[index].node.address.toLowerCase();
  let checked = afterRound;
  return waitFor(`an update of ${topology.peers[index].name} in a round after ${afterRound}`, async () => {
    const count = await topology.roundCount();
    for (; checked < count; checked++) {
      const round = await topology.apiGet<ApiRound>(`/rounds/${checked + 1}`);
      if (round === undefined) return undefined;
      const ours = round.updates.filter((update) => update.verdict === 'accepted' && String(update.nodeKey).toLowerCase() === nodeKey);
      if (ours.some((update) => round.digests.some((digest) => digest.toLowerCase() === String(update.digest).toLowerCase()))) return checked + 1;
    }
    return undefined;
  }, { timeoutMs, pollMs: 500 });
}

/** Watches the ledger's round count (by wall clock: the devnet's block times drift) to find the network's longest stall. */
export class CommitWatch {
  private readonly commits: number[] = [];
  private readonly started = Date.now();
  private count = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(topology: Topology) {
    this.timer = setInterval(() => {
      void topology.roundCount().then((count) => {
        if (count > this.count) {
          this.count = count;
          this.commits.push(Date.now());
        }
      }, () => undefined);
    }, 250);
  }

  /** The longest time in ms without a commit between `since` (default: when the watch started) and now. */
  longestStallMs(since = this.started): number {
    const times = [since, ...this.commits.filter((time) => time > since), Date.now()];
    return Math.max(...times.slice(1).map((time, index) => time - times[index]));
  }

  close(): void {
    clearInterval(this.timer);
  }
}
