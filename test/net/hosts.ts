import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Hosts of a test network built from Linux network namespaces: a bridge in the root namespace
 * (10.77.N.1, where the chain's forwarder listens), public hosts on it, and hosts behind NAT, each
 * behind its own router namespace that masquerades (iptables) so the host can only connect out.
 * Everything carries one prefix, so `remove()` (also run on exit) deletes exactly what was made.
 */
export interface NetHost {
  name: string;
  /** Its network namespace; none on loopback, where every host is a process on 127.0.0.1. */
  netns?: string;
  /** Its own address (behind NAT: a private one nobody outside can dial). */
  ip: string;
  /** The address its connections come from (a NAT'd host's router's). */
  publicIp: string;
  nat: boolean;
  /** Its libp2p port, and its HTTP API's (the coordinator's). */
  p2pPort: number;
  apiPort: number;
  /** The process running on it, once started (loopback counts bytes by process). */
  pid?: number;
}

/** Hosts a test network is made of, and what they sent and whom they talk to. */
export interface HostNetwork {
  readonly hosts: NetHost[];
  /** The address the hosts reach the root namespace (the chain) at. */
  readonly gateway: string;
  /** What it is built from, for reports: `namespaces` or `loopback`. */
  readonly kind: 'namespaces' | 'loopback';
  add(spec: HostSpec): Promise<NetHost>;
  /** Bytes the host sent and received so far. */
  bytes(host: NetHost): { in: number; out: number };
  /** Counts the host's TCP bytes to and from `ports` (either end) apart from now on. */
  countPorts(host: NetHost, ports: number[]): void;
  /** Bytes the host sent and received on the ports `countPorts` counts. */
  portBytes(host: NetHost): { in: number; out: number };
  /** Names of the hosts this host holds established TCP connections with. */
  neighbours(host: NetHost): string[];
  remove(): void;
}

export interface HostSpec {
  name: string;
  nat?: boolean;
  /** Shape the link to this many Mbit/s each way (tc tbf). */
  mbit?: number;
}

/** Why this machine cannot build namespaces, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root, as .ci/run does)';
  for (const tool of ['ip', 'tc']) if (!has(tool)) return `\`${tool}\` is missing (apt-get install iproute2)`;
  if (!has('iptables')) {
    try {
      execFileSync('sh', ['-c', 'apt-get install -y -qq iptables || (apt-get update -qq && apt-get install -y -qq iptables)'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 180_000 });
    } catch {
      return '`iptables` is missing and apt-get could not install it';
    }
  }
  return undefined;
}

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function run(args: string[]): void {
  try {
    execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`\`${args.join(' ')}\` failed: ${stderr ?? (error as Error).message}`, { cause: error });
  }
}

/** The libp2p and API ports on a namespace host: every host has an address of its own. */
const P2P_PORT = 4001;
const API_PORT = 7070;

export class NetHosts implements HostNetwork {
  readonly kind = 'namespaces';
  readonly hosts: NetHost[] = [];
  private readonly uplinks = new Map<NetHost, string>();
  /** The root namespace's address on the bridge: what every host reaches the chain at. */
  readonly gateway: string;
  private readonly prefix: string;
  private readonly bridge: string;
  private readonly subnet: number;
  private readonly namespaces: string[] = [];
  private next = 10;
  private readonly cleanupOnExit = (): void => this.remove();

  /** `namePrefix` (at most 4 characters) starts every namespace and link name, so whoever made them can tell. */
  constructor(namePrefix = 'gn') {
    // Short names (interface names stop at 15 characters), unique per process.
    this.subnet = 100 + (process.pid % 100);
    this.prefix = `${namePrefix.slice(0, 4)}${process.pid % 100000}`;
    this.bridge = `${this.prefix}br`;
    this.gateway = `10.77.${this.subnet}.1`;
    process.on('exit', this.cleanupOnExit);
    run(['ip', 'link', 'add', this.bridge, 'type', 'bridge']);
    run(['ip', 'addr', 'add', `${this.gateway}/24`, 'dev', this.bridge]);
    run(['ip', 'link', 'set', this.bridge, 'up']);
  }

  /** Adds a host: its namespace, its link to the bridge (through a NAT router when `nat`), shaped when `mbit`. */
  async add(spec: HostSpec): Promise<NetHost> {
    const index = this.hosts.length;
    const netns = `${this.prefix}-${spec.name}`;
    const publicIp = `10.77.${this.subnet}.${this.next++}`;
    // The namespace that sits on the bridge: the host itself, or its NAT router.
    const edge = spec.nat ? `${netns}-r` : netns;
    const uplink = `${this.prefix}u${index}`;
    this.namespace(edge);
    run(['ip', 'link', 'add', uplink, 'type', 'veth', 'peer', 'name', `${uplink}p`]);
    run(['ip', 'link', 'set', `${uplink}p`, 'netns', edge]);
    run(['ip', 'link', 'set', uplink, 'master', this.bridge, 'up']);
    run(['ip', '-n', edge, 'link', 'set', `${uplink}p`, 'name', 'up0']);
    run(['ip', '-n', edge, 'addr', 'add', `${publicIp}/24`, 'dev', 'up0']);
    run(['ip', '-n', edge, 'link', 'set', 'up0', 'up']);
    run(['ip', '-n', edge, 'route', 'add', 'default', 'via', this.gateway]);
    // Private addresses are not routed between sites (as on the internet): a dial to another
    // NAT'd host's own address fails at once instead of leaving through the machine's real uplink.
    run(['ip', '-n', edge, 'route', 'add', 'unreachable', '192.168.0.0/16']);
    let ip = publicIp;
    if (spec.nat) {
      ip = `192.168.${index + 1}.2`;
      this.namespace(netns);
      const inside = `${this.prefix}n${index}`;
      run(['ip', 'link', 'add', inside, 'type', 'veth', 'peer', 'name', `${inside}p`]);
      run(['ip', 'link', 'set', inside, 'netns', edge]);
      run(['ip', 'link', 'set', `${inside}p`, 'netns', netns]);
      run(['ip', '-n', edge, 'link', 'set', inside, 'name', 'lan0']);
      run(['ip', '-n', netns, 'link', 'set', `${inside}p`, 'name', 'up0']);
      run(['ip', '-n', edge, 'addr', 'add', `192.168.${index + 1}.1/24`, 'dev', 'lan0']);
      run(['ip', '-n', netns, 'addr', 'add', `${ip}/24`, 'dev', 'up0']);
      run(['ip', '-n', edge, 'link', 'set', 'lan0', 'up']);
      run(['ip', '-n', netns, 'link', 'set', 'up0', 'up']);
      run(['ip', '-n', netns, 'route', 'add', 'default', 'via', `192.168.${index + 1}.1`]);
      run(['ip', 'netns', 'exec', edge, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      // The router's rules live in its namespace and go with it.
      run(['ip', 'netns', 'exec', edge, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-o', 'up0', '-j', 'MASQUERADE']);
    }
    if (spec.mbit !== undefined) {
      const shape = ['tbf', 'rate', `${spec.mbit}mbit`, 'burst', '32kbit', 'latency', '400ms'];
      run(['tc', 'qdisc', 'add', 'dev', uplink, 'root', ...shape]);
      run(['ip', 'netns', 'exec', edge, 'tc', 'qdisc', 'add', 'dev', 'up0', 'root', ...shape]);
    }
    const host: NetHost = { name: spec.name, netns, ip, publicIp, nat: spec.nat ?? false, p2pPort: P2P_PORT, apiPort: API_PORT };
    this.hosts.push(host);
    this.uplinks.set(host, uplink);
    return host;
  }

  /** Bytes the host sent and received so far (counted on the root side of its link). */
  bytes(host: NetHost): { in: number; out: number } {
    const stat = (name: string): number => Number(readFileSync(`/sys/class/net/${this.uplinks.get(host)}/statistics/${name}`, 'utf8'));
    // The root side receives what the host sends.
    return { in: stat('tx_bytes'), out: stat('rx_bytes') };
  }

  /**
   * Counts the host's TCP bytes to and from `ports` (either end) from now on: iptables rules with
   * no target, in the host's namespace, so they go with it.
   */
  countPorts(host: NetHost, ports: number[]): void {
    for (const port of ports) {
      for (const [chain, ends] of [['OUTPUT', ['--sport', '--dport']], ['INPUT', ['--sport', '--dport']]] as const) {
        for (const end of ends) run(['ip', 'netns', 'exec', this.netnsOf(host), 'iptables', '-A', chain, '-p', 'tcp', end, String(port)]);
      }
    }
  }

  /** Bytes the host sent and received on the ports `countPorts` counts (IP bytes, no link framing). */
  portBytes(host: NetHost): { in: number; out: number } {
    const sum = (chain: string): number => execFileSync('ip', ['netns', 'exec', this.netnsOf(host), 'iptables', '-nvxL', chain], { encoding: 'utf8' })
      .split('\n').slice(2).filter((line) => line.trim() !== '').reduce((total, line) => total + Number(line.trim().split(/\s+/)[1]), 0);
    return { in: sum('INPUT'), out: sum('OUTPUT') };
  }

  /** Hosts at the remote ends of the host's established TCP connections (a NAT'd host by its router's address). */
  neighbours(host: NetHost): string[] {
    const out = execFileSync('ip', ['netns', 'exec', this.netnsOf(host), 'ss', '-Htn', 'state', 'established'], { encoding: 'utf8' });
    const remotes = new Set(out.split('\n').filter((line) => line.trim() !== '').map((line) => line.trim().split(/\s+/).at(-1)!.replace(/:\d+$/, '')));
    return this.hosts.filter((other) => other !== host && remotes.has(other.publicIp)).map((other) => other.name);
  }

  /** Deletes every namespace (their links, routes and iptables rules with them) and the bridge. */
  remove(): void {
    for (const netns of this.namespaces.splice(0)) {
      try {
        execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    try {
      execFileSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    process.off('exit', this.cleanupOnExit);
  }

  private netnsOf(host: NetHost): string {
    if (host.netns === undefined) throw new Error(`host ${host.name} has no namespace`);
    return host.netns;
  }

  private namespace(name: string): void {
    run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  }
}
