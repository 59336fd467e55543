import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectGradnet, devOnlyAccounts, type DevOnlyAccount, type GradnetChain } from '../../core/chain/index.ts';
import type { Logger } from '../../core/log/index.ts';
import { initialParams } from '../../core/ml/index.ts';
import { freePort, ProcessGroup, waitFor, type ChildLogLine, type RunningChild } from '../../core/process/index.ts';
import { genesisCheckpoint } from '../../core/tensor/index.ts';
import { startRpcRelay, type RpcRelay } from './rpc-relay.ts';

/** Waits until the ledger holds at least `count` committed rounds; returns how many it holds. */
export function waitForCommittedRounds(chain: GradnetChain, count: number, options: { timeoutMs: number; signal?: AbortSignal }): Promise<number> {
  return waitFor(`round ${count} committed`, async () => {
    const committed = await chain.ledger.roundCount();
    return committed >= count ? committed : undefined;
  }, { timeoutMs: options.timeoutMs, pollMs: 250, signal: options.signal });
}

/**
 * The demo topology as real processes, for tests and benchmarks that hurt it: a devnet, the
 * coordinator and one daemon per peer, each started (and restarted) by the launcher with the same
 * data directory, keys and ports. Every process reaches the chain through one switchable RPC
 * relay; the launcher itself reads the devnet directly, so an RPC outage it plays does not blind it.
 */
export interface TopologyOptions {
  logger: Logger;
  peers?: number;
  /** The coordinator's `round` settings (core/round's RoundConfig fields). */
  round?: Record<string, number | boolean>;
  innerSteps?: number;
  heartbeatSeconds?: number;
  signal?: AbortSignal;
}

/** One incarnation of a process: its child and the log lines it wrote. */
export interface LoggedProcess {
  child: RunningChild;
  lines: ChildLogLine[];
  /** Whether it has logged a line whose message matches. */
  seen(pattern: RegExp): boolean;
  /** SIGKILLs it the moment it next logs a line whose message matches (a crash at that point). */
  killOn(pattern: RegExp): void;
}

export interface TopologyPeer {
  name: string;
  index: number;
  owner: DevOnlyAccount;
  node: DevOnlyAccount;
  dataDir: string;
  /** The running daemon; undefined while it is down. */
  daemon: LoggedProcess | undefined;
}

/** The stake every owner registers with, in wei (100 GRAD). */
export const TOPOLOGY_STAKE = 100n * 10n ** 18n;
const MODEL_SEED = 1;
const START_TIMEOUT_MS = 120_000;

export class Topology {
  /** The devnet itself (the launcher's own reads go here). */
  readonly rpcUrl: string;
  /** What the coordinator and the daemons use: cut it to play a dead RPC. */
  readonly relay: RpcRelay;
  /** Read-only chain access for checks, straight to the devnet. */
  readonly chain: GradnetChain;
  readonly deploymentsFile: string;
  readonly peers: TopologyPeer[];
  readonly coordinatorKey: DevOnlyAccount;
  /** The coordinator's HTTP API (a fixed port, the same after a restart). */
  readonly api: string;
  /** Its libp2p bootstrap address (a fixed port and key, so restarted daemons and coordinators find each other). */
  bootstrap = '';
  coordinator: LoggedProcess | undefined;
  /** Every line every coordinator incarnation wrote, in order. */
  readonly coordinatorLog: ChildLogLine[] = [];
  private readonly group: ProcessGroup;
  private readonly workDir: string;
  private readonly coordinatorConfig: string;
  private readonly options: TopologyOptions;

  private constructor(fields: {
    options: TopologyOptions;
    group: ProcessGroup;
    workDir: string;
    rpcUrl: string;
    relay: RpcRelay;
    chain: GradnetChain;
    deploymentsFile: string;
    peers: TopologyPeer[];
    coordinatorKey: DevOnlyAccount;
    coordinatorConfig: string;
    api: string;
  }) {
    this.options = fields.options;
    this.group = fields.group;
    this.workDir = fields.workDir;
    this.rpcUrl = fields.rpcUrl;
    this.relay = fields.relay;
    this.chain = fields.chain;
    this.deploymentsFile = fields.deploymentsFile;
    this.peers = fields.peers;
    this.coordinatorKey = fields.coordinatorKey;
    this.coordinatorConfig = fields.coordinatorConfig;
    this.api = fields.api;
  }

  /**
   * Starts the devnet, registers one node per peer through `gradnet register` (the CLI is the
   * registration everyone uses, so it follows changes to the contracts), starts the coordinator
   * and the daemons, and returns once the first round is committed.
   */
  static async start(options: TopologyOptions): Promise<Topology> {
    const peerCount = options.peers ?? 3;
    const group = new ProcessGroup(options.logger);
    const workDir = await mkdtemp(join(tmpdir(), 'gradnet-topology-'));
    let relay: RpcRelay | undefined;
    try {
      const [coordinatorKey, ...rest] = devOnlyAccounts(1 + 2 * peerCount);
      const owners = rest.slice(0, peerCount);
      const nodes = rest.slice(peerCount);
      const genesis = initialParams('mlp', MODEL_SEED);
      const deploymentsFile = join(workDir, 'deployments.json');
      const port = await freePort();
      // Every account holds ETH: the node keys pay the gas of the equivocation proofs their daemons send.
      const devnet = group.start({
        name: 'devnet',
        args: ['devnet', '--port', String(port), '--accounts', String(1 + 2 * peerCount), '--genesis-hash', genesisCheckpoint(genesis).modelHash, '--deployments', deploymentsFile],
      });
      await waitFor('the devnet', () => (devnet.stdout().includes('press Ctrl-C') ? true : undefined), { timeoutMs: START_TIMEOUT_MS, child: devnet, signal: options.signal });
      const rpcUrl = `http://127.0.0.1:${port}`;
      relay = await startRpcRelay(rpcUrl);

      const keystoreDir = join(workDir, 'keys');
      await Promise.all(owners.map(async (owner, index) => {
        const register = group.start({
          name: `register-${index + 1}`,
          args: ['register', '--rpc', rpcUrl, '--deployments', deploymentsFile, '--keystore-dir', keystoreDir, '--stake', String(TOPOLOGY_STAKE / 10n ** 18n)],
          env: { GRADNET_OWNER_PRIVATE_KEY: owner.privateKey, GRADNET_NODE_PRIVATE_KEY: nodes[index].privateKey },
        });
        const code = await register.exited;
        if (code !== 0) throw new Error(`gradnet register for owner ${owner.address} exited ${code}`);
      }));

      const apiPort = await freePort();
      const coordinatorConfig = join(workDir, 'coordinator.json');
      await writeFile(coordinatorConfig, JSON.stringify({
        rpcUrl: relay.url, deployments: deploymentsFile, dataDir: join(workDir, 'coordinator'), listen: [`/ip4/127.0.0.1/tcp/${await freePort()}`],
        api: { host: '127.0.0.1', port: apiPort }, model: { name: 'mlp' }, modelSeed: MODEL_SEED,
        round: { quorum: peerCount, deadlineMs: 1000, ...options.round }, nodes: { pollMs: 500 },
        // Scoring on fewer examples keeps rounds short; the accuracy is not what is tested here.
        evaluation: { validationLimit: 500, scoreBatch: 200 },
      }));
      const topology = new Topology({
        options, group, workDir, rpcUrl, relay, deploymentsFile, coordinatorKey, coordinatorConfig,
        chain: await connectGradnet({ rpcUrl, deploymentsFile }),
        api: `http://127.0.0.1:${apiPort}`,
        peers: owners.map((owner, index) => ({ name: `peer-${index + 1}`, index, owner, node: nodes[index], dataDir: join(workDir, `peer-${index + 1}`), daemon: undefined })),
      });
      await topology.startCoordinator();
      for (const peer of topology.peers) topology.startPeer(peer.index);
      await topology.waitForRounds(1, START_TIMEOUT_MS);
      return topology;
    } catch (error) {
      await group.stopAll();
      await relay?.close();
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Starts the coordinator on its data directory and waits until it serves. */
  async startCoordinator(): Promise<LoggedProcess> {
    let address: string | undefined;
    const coordinator = this.logged(
      { name: 'coordinator', args: ['coordinator', '--config', this.coordinatorConfig], env: { GRADNET_COORDINATOR_PRIVATE_KEY: this.coordinatorKey.privateKey } },
      (line) => {
        this.coordinatorLog.push(line);
        if (line.msg === 'coordinator running') address = (line.addresses as string[])[0];
      },
    );
    this.coordinator = coordinator;
    try {
      this.bootstrap = await waitFor('the coordinator', () => address, { timeoutMs: START_TIMEOUT_MS, child: coordinator.child, signal: this.options.signal });
    } catch (error) {
      // What the coordinator said last is what explains a failed (re)start.
      const last = coordinator.lines.slice(-3).map((line) => String(line.msg)).join(' | ');
      throw new Error(`${(error as Error).message}; its last lines: ${last}`, { cause: error });
    }
    return coordinator;
  }

  /** Starts peer `index`'s daemon on its data directory (it must not be running). */
  startPeer(index: number): LoggedProcess {
    const peer = this.peers[index];
    if (peer.daemon !== undefined) throw new Error(`${peer.name} is already running (pid ${peer.daemon.child.pid})`);
    const daemon = this.logged(
      {
        name: peer.name,
        args: [
          'daemon', '--rpc', this.relay.url, '--deployments', this.deploymentsFile, '--keystore-dir', join(this.workDir, 'keys'), '--data-dir', peer.dataDir,
          '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', this.bootstrap, '--coordinator-url', this.api,
          '--shard-index', String(index), '--shard-count', String(this.peers.length), '--inner-steps', String(this.options.innerSteps ?? 50),
          '--heartbeat-seconds', String(this.options.heartbeatSeconds ?? 1), '--backend', 'wasm',
        ],
        env: { GRADNET_NODE_PRIVATE_KEY: peer.node.privateKey },
      },
      () => undefined,
    );
    peer.daemon = daemon;
    void daemon.child.exited.then(() => {
      if (peer.daemon === daemon) peer.daemon = undefined;
    });
    return daemon;
  }

  /** SIGKILLs a process (a power cut: no clean-up) and waits until it is gone. */
  async kill(target: LoggedProcess): Promise<void> {
    kill(target.child);
    await target.child.exited;
  }

  /** Stops a process the polite way (SIGTERM, then SIGKILL after a grace period). */
  async stopProcess(target: LoggedProcess): Promise<void> {
    await this.group.stop(target.child.pid);
  }

  /** The number of rounds committed on chain. */
  roundCount(): Promise<number> {
    return this.chain.ledger.roundCount();
  }

  /** Waits until at least `count` rounds are committed on chain; returns the count. */
  waitForRounds(count: number, timeoutMs: number): Promise<number> {
    return waitForCommittedRounds(this.chain, count, { timeoutMs, signal: this.options.signal });
  }

  /** GET a coordinator API path as JSON; undefined when it does not answer (it may be down) or answers an error. */
  async apiGet<T>(path: string): Promise<T | undefined> {
    try {
      const response = await fetch(`${this.api}${path}`, { signal: AbortSignal.timeout(5_000) });
      return response.ok ? ((await response.json()) as T) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops every process, the relay, and deletes the work directory. */
  async stop(): Promise<void> {
    await this.group.stopAll();
    await this.relay.close();
    await rm(this.workDir, { recursive: true, force: true });
  }

  private logged(spec: { name: string; args: string[]; env: Record<string, string> }, onLine: (line: ChildLogLine) => void): LoggedProcess {
    const lines: ChildLogLine[] = [];
    let killPattern: RegExp | undefined;
    const child = this.group.start({
      ...spec,
      onLog: (line) => {
        lines.push(line);
        onLine(line);
        if (killPattern?.test(String(line.msg))) kill(child);
      },
    });
    return {
      child,
      lines,
      seen: (pattern) => lines.some((line) => pattern.test(String(line.msg))),
      killOn: (pattern) => {
        killPattern = pattern;
      },
    };
  }
}

/** SIGKILL to the child's process group (the child and anything it started). */
function kill(child: RunningChild): void {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
