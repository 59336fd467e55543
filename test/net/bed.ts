import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectGradnet, devOnlyAccounts, type DevOnlyAccount, type GradnetChain } from '../../core/chain/index.ts';
import type { Logger } from '../../core/log/index.ts';
import { initialParams } from '../../core/ml/index.ts';
import { freePort, ProcessGroup, waitFor, type ChildLogLine, type RunningChild } from '../../core/process/index.ts';
import { genesisCheckpoint } from '../../core/tensor/index.ts';
import { NetHosts, type HostNetwork, type HostSpec, type NetHost } from './hosts.ts';
import { waitForCommittedRounds } from '../support/topology.ts';
import { LoopbackHosts } from './loopback.ts';

/**
 * The demo topology spread over network namespaces (test/net/hosts.ts): the chain in the root
 * namespace (a devnet on 127.0.0.1, reached by the hosts through a TCP forwarder on the bridge),
 * the coordinator on a host of its own, and one daemon per host. Daemons bootstrap from the
 * coordinator only; everything else they learn from the mesh.
 */
export interface NetBedOptions {
  logger: Logger;
  /** One host per daemon; `lateJoiners` of them (the last ones) are not started by `start`. */
  daemons: HostSpec[];
  lateJoiners?: number;
  /** The coordinator's `round` settings. */
  round?: Record<string, number | boolean>;
  innerSteps?: number;
  codec?: string;
  signal?: AbortSignal;
  /**
   * Seconds a committed round stays challengeable (the devnet's default is 10). Auditors get half
   * of it to fetch the new model and the round's updates: many daemons on few cores need more.
   */
  challengeWindowSeconds?: number;
  /** Every host a process on 127.0.0.1 (no root, no NAT, no shaping) instead of a namespace. */
  loopback?: boolean;
  /** Starts every namespace and link name (at most 4 characters; default `gn`). */
  namePrefix?: string;
}

export interface NetDaemon {
  name: string;
  host: NetHost;
  node: DevOnlyAccount;
  dataDir: string;
  lines: ChildLogLine[];
  child: RunningChild | undefined;
}

const MODEL_SEED = 1;
const START_TIMEOUT_MS = 120_000;

export class NetBed {
  readonly chain: GradnetChain;
  readonly coordinatorHost: NetHost;
  readonly daemons: NetDaemon[];
  readonly coordinatorLines: ChildLogLine[] = [];
  readonly api: string;
  bootstrap = '';
  coordinatorPeerId = '';

  private constructor(
    readonly hosts: HostNetwork,
    private readonly group: ProcessGroup,
    private readonly workDir: string,
    private readonly forwarder: Server | undefined,
    private readonly rpcUrl: string,
    private readonly deploymentsFile: string,
    private readonly options: NetBedOptions,
    fields: { chain: GradnetChain; coordinatorHost: NetHost; daemons: NetDaemon[] },
  ) {
    this.chain = fields.chain;
    this.coordinatorHost = fields.coordinatorHost;
    this.daemons = fields.daemons;
    this.api = `http://${this.coordinatorHost.ip}:${this.coordinatorHost.apiPort}`;
  }

  /** Builds the hosts, starts the chain, registers every daemon's node, starts the coordinator and the first daemons. */
  static async start(options: NetBedOptions): Promise<NetBed> {
    const group = new ProcessGroup(options.logger);
    const workDir = await mkdtemp(join(tmpdir(), 'gradnet-net-'));
    const hosts: HostNetwork = options.loopback ? new LoopbackHosts() : new NetHosts(options.namePrefix);
    let forwarder: Server | undefined;
    try {
      const count = options.daemons.length;
      const [coordinatorKey, ...rest] = devOnlyAccounts(1 + 2 * count);
      const owners = rest.slice(0, count);
      const nodes = rest.slice(count);
      const deploymentsFile = join(workDir, 'deployments.json');
      const port = await freePort();
      const genesis = genesisCheckpoint(initialParams('mlp', MODEL_SEED)).modelHash;
      const window = options.challengeWindowSeconds === undefined ? [] : ['--challenge-window', String(options.challengeWindowSeconds)];
      const devnet = group.start({ name: 'devnet', args: ['devnet', '--port', String(port), '--accounts', String(1 + 2 * count), '--genesis-hash', genesis, '--deployments', deploymentsFile, ...window] });
      await waitFor('the devnet', () => (devnet.stdout().includes('press Ctrl-C') ? true : undefined), { timeoutMs: START_TIMEOUT_MS, child: devnet, signal: options.signal });
      if (!options.loopback) forwarder = await forward(hosts.gateway, port);
      const rpcUrl = `http://${hosts.gateway}:${port}`;

      const keystoreDir = join(workDir, 'keys');
      await Promise.all(owners.map(async (owner, index) => {
        const register = group.start({
          name: `register-${index + 1}`,
          args: ['register', '--rpc', `http://127.0.0.1:${port}`, '--deployments', deploymentsFile, '--keystore-dir', keystoreDir, '--stake', '100'],
          env: { GRADNET_OWNER_PRIVATE_KEY: owner.privateKey, GRADNET_NODE_PRIVATE_KEY: nodes[index].privateKey },
        });
        const code = await register.exited;
        if (code !== 0) throw new Error(`gradnet register for owner ${owner.address} exited ${code}`);
      }));

      const coordinatorHost = await hosts.add({ name: 'coord' });
      const daemons: NetDaemon[] = [];
      for (const [index, spec] of options.daemons.entries()) {
        daemons.push({ name: spec.name, host: await hosts.add(spec), node: nodes[index], dataDir: join(workDir, spec.name), lines: [], child: undefined });
      }
      // HTTP (the chain's JSON-RPC, the coordinator's API) is counted apart, so libp2p's share of a link is known.
      for (const host of hosts.hosts) hosts.countPorts(host, [port, coordinatorHost.apiPort]);
      const bed = new NetBed(hosts, group, workDir, forwarder, rpcUrl, deploymentsFile, options, {
        chain: await connectGradnet({ rpcUrl: `http://127.0.0.1:${port}`, deploymentsFile }),
        coordinatorHost,
        daemons,
      });
      // The quorum counts late joiners too: absent, they do not count (silent nodes lower it);
      // once they beat, rounds wait for them as for anyone.
      await bed.startCoordinator(coordinatorKey, count);
      for (const daemon of daemons.slice(0, count - (options.lateJoiners ?? 0))) bed.startDaemon(daemon);
      return bed;
    } catch (error) {
      await group.stopAll();
      forwarder?.close();
      hosts.remove();
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Starts a daemon on its host: it knows the coordinator's address and nothing else. */
  startDaemon(daemon: NetDaemon): void {
    const listen = [`/ip4/${daemon.host.ip}/tcp/${daemon.host.p2pPort}`, ...(daemon.host.nat ? ['/p2p-circuit'] : [])];
    daemon.child = this.group.start({
      name: daemon.name,
      netns: daemon.host.netns,
      args: [
        'daemon', '--rpc', this.rpcUrl, '--deployments', this.deploymentsFile, '--keystore-dir', join(this.workDir, 'keys'), '--data-dir', daemon.dataDir,
        '--listen', listen.join(','), '--bootstrap', this.bootstrap, '--coordinator-url', this.api,
        '--shard-index', String(this.daemons.indexOf(daemon)), '--shard-count', String(this.daemons.length), '--inner-steps', String(this.options.innerSteps ?? 20),
        '--heartbeat-seconds', '2', '--backend', 'wasm', ...(this.options.codec ? ['--codec', this.options.codec] : []),
      ],
      env: { GRADNET_NODE_PRIVATE_KEY: daemon.node.privateKey },
      onLog: (line) => daemon.lines.push(line),
    });
    daemon.host.pid = daemon.child.pid;
  }

  roundCount(): Promise<number> {
    return this.chain.ledger.roundCount();
  }

  waitForRounds(count: number, timeoutMs: number): Promise<number> {
    return waitForCommittedRounds(this.chain, count, { timeoutMs, signal: this.options.signal });
  }

  /** The daemon's last log messages, to explain a failure. */
  tail(daemon: NetDaemon, count = 4): string {
    return daemon.lines.slice(-count).map((line) => String(line.msg)).join(' | ');
  }

  /** The daemon's audit verdicts so far. */
  audits(daemon: NetDaemon): { round: number; verdict: string; reason?: string }[] {
    return daemon.lines.filter((line) => line.event === 'audit').map((line) => ({ round: Number(line.round), verdict: String(line.verdict), reason: line.reason as string | undefined }));
  }

  /** The daemon's libp2p peer id, once it has started. */
  peerId(daemon: NetDaemon): string | undefined {
    const started = daemon.lines.find((line) => typeof line.peerId === 'string' && /^daemon started/.test(String(line.msg)));
    return started?.peerId as string | undefined;
  }

  /** Peers the daemon reached through a relay. */
  relayedTo(daemon: NetDaemon): string[] {
    return daemon.lines.filter((line) => line.event === 'relayed').map((line) => String(line.peer));
  }

  /** The node keys whose updates round `round` accepted, from the coordinator's API. */
  async contributors(round: number): Promise<string[]> {
    const response = await fetch(`${this.api}/rounds/${round}?limit=1000`, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return [];
    const body = (await response.json()) as { digests: string[]; updates: { nodeKey: string; digest: string }[] };
    const included = new Set(body.digests);
    return body.updates.filter((update) => included.has(update.digest)).map((update) => update.nodeKey.toLowerCase());
  }

  /** Hosts of other daemons the daemon holds TCP connections with (through a NAT'd host's router for NAT'd ones). */
  daemonNeighbours(daemon: NetDaemon): string[] {
    const daemons = new Set(this.daemons.map((other) => other.name));
    return this.hosts.neighbours(daemon.host).filter((name) => daemons.has(name));
  }

  /** Stops every process and deletes the hosts and the work directory. */
  async stop(): Promise<void> {
    await this.group.stopAll();
    this.forwarder?.close();
    this.hosts.remove();
    await rm(this.workDir, { recursive: true, force: true });
  }

  private async startCoordinator(key: DevOnlyAccount, quorum: number): Promise<void> {
    const config = join(this.workDir, 'coordinator.json');
    await writeFile(config, JSON.stringify({
      rpcUrl: this.rpcUrl, deployments: this.deploymentsFile, dataDir: join(this.workDir, 'coordinator'), listen: [`/ip4/${this.coordinatorHost.ip}/tcp/${this.coordinatorHost.p2pPort}`],
      api: { host: this.coordinatorHost.ip, port: this.coordinatorHost.apiPort }, model: { name: 'mlp' }, modelSeed: MODEL_SEED,
      round: { quorum, deadlineMs: 1500, ...this.options.round }, nodes: { pollMs: 500 },
      evaluation: { validationLimit: 500, scoreBatch: 200 },
    }));
    let running: { address: string; peerId: string } | undefined;
    const child = this.group.start({
      name: 'coordinator', netns: this.coordinatorHost.netns, args: ['coordinator', '--config', config], env: { GRADNET_COORDINATOR_PRIVATE_KEY: key.privateKey },
      onLog: (line) => {
        this.coordinatorLines.push(line);
        if (line.msg === 'coordinator running') running = { address: (line.addresses as string[])[0], peerId: String(line.peerId) };
      },
    });
    this.coordinatorHost.pid = child.pid;
    const started = await waitFor('the coordinator', () => running, { timeoutMs: START_TIMEOUT_MS, child, signal: this.options.signal });
    this.bootstrap = started.address;
    this.coordinatorPeerId = started.peerId;
  }
}

/** A TCP forwarder on `host` to the devnet on 127.0.0.1 (the devnet listens on loopback only). */
async function forward(host: string, port: number): Promise<Server> {
  const server = createServer((socket) => {
    const upstream = connect(port, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    const close = (): void => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  return server;
}
