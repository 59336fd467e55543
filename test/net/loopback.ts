import { execFileSync } from 'node:child_process';
import { freePort } from '../../core/process/index.ts';
import type { HostNetwork, HostSpec, NetHost } from './hosts.ts';

/** One TCP socket as `ss` last saw it: its process, its ends and its byte counters. */
interface SocketSample {
  pid: number;
  local: string;
  remote: string;
  sent: number;
  received: number;
}

/** How often sockets are sampled: a connection that closes between two samples loses its last bytes. */
const SAMPLE_MS = 500;

/**
 * Hosts on one machine without root: every host is a process on 127.0.0.1 with ports of its own,
 * with no NAT and no shaping. What a namespace host counts on its link, this counts per process
 * from the kernel's per-socket counters (`ss -tinp`: bytes acked out, bytes received in), sampled
 * every SAMPLE_MS and kept after a socket closes. Those are TCP payload bytes, without the IP and
 * link headers a namespace link counts.
 */
export class LoopbackHosts implements HostNetwork {
  readonly kind = 'loopback';
  readonly hosts: NetHost[] = [];
  readonly gateway = '127.0.0.1';
  private readonly sockets = new Map<string, SocketSample>();
  private readonly counted = new Map<NetHost, Set<number>>();
  private current: SocketSample[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  async add(spec: HostSpec): Promise<NetHost> {
    if (spec.nat || spec.mbit !== undefined) throw new Error(`host ${spec.name} asks for NAT or a shaped link, which loopback hosts do not have; build namespaces (root) for that`);
    const host: NetHost = { name: spec.name, ip: '127.0.0.1', publicIp: '127.0.0.1', nat: false, p2pPort: await freePort(), apiPort: await freePort() };
    this.hosts.push(host);
    return host;
  }

  bytes(host: NetHost): { in: number; out: number } {
    return this.sum(host, () => true);
  }

  countPorts(host: NetHost, ports: number[]): void {
    this.counted.set(host, new Set(ports));
  }

  portBytes(host: NetHost): { in: number; out: number } {
    const ports = this.counted.get(host) ?? new Set<number>();
    return this.sum(host, (socket) => ports.has(portOf(socket.local)) || ports.has(portOf(socket.remote)));
  }

  neighbours(host: NetHost): string[] {
    this.sample();
    const owner = new Map(this.current.map((socket) => [socket.local, socket.pid]));
    const remotes = new Set(this.current.filter((socket) => socket.pid === host.pid).map((socket) => owner.get(socket.remote)));
    return this.hosts.filter((other) => other !== host && other.pid !== undefined && remotes.has(other.pid)).map((other) => other.name);
  }

  remove(): void {
    clearInterval(this.timer);
  }

  private sum(host: NetHost, include: (socket: SocketSample) => boolean): { in: number; out: number } {
    this.sample();
    let sent = 0;
    let received = 0;
    for (const socket of this.sockets.values()) {
      if (socket.pid !== host.pid || !include(socket)) continue;
      sent += socket.sent;
      received += socket.received;
    }
    return { in: received, out: sent };
  }

  private sample(): void {
    const pids = new Set(this.hosts.flatMap((host) => (host.pid === undefined ? [] : [host.pid])));
    if (pids.size === 0) return;
    this.current = parseSs(execFileSync('ss', ['-Htinp', 'state', 'established'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })).filter((socket) => pids.has(socket.pid));
    for (const socket of this.current) {
      const key = `${socket.pid} ${socket.local} ${socket.remote}`;
      const seen = this.sockets.get(key);
      this.sockets.set(key, { ...socket, sent: Math.max(socket.sent, seen?.sent ?? 0), received: Math.max(socket.received, seen?.received ?? 0) });
    }
  }
}

/** `ss -Htinp state established`: a line per socket (queues, local, remote, process), then its tcp_info on indented lines. */
export function parseSs(output: string): SocketSample[] {
  const sockets: SocketSample[] = [];
  let last: SocketSample | undefined;
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    if (/^\s/.test(line)) {
      if (last === undefined) continue;
      last.sent = Number(/\bbytes_acked:(\d+)/.exec(line)?.[1] ?? last.sent);
      last.received = Number(/\bbytes_received:(\d+)/.exec(line)?.[1] ?? last.received);
      continue;
    }
    const fields = line.trim().split(/\s+/);
    const pid = /pid=(\d+)/.exec(line)?.[1];
    last = pid === undefined ? undefined : { pid: Number(pid), local: fields[2], remote: fields[3], sent: 0, received: 0 };
    if (last !== undefined) sockets.push(last);
  }
  return sockets;
}

function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
}
