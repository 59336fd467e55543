import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { ProcessError } from './errors.ts';

/** `bin/gradnet.js`, the entry every child runs through (it registers tsx). */
export const GRADNET_BIN = fileURLToPath(new URL('../../bin/gradnet.js', import.meta.url));

/**
 * Node >= 22 for the children: this process's own binary when it is recent enough, else the
 * project's `node@22`. Under an older node, bin/gradnet.js would re-launch itself as a
 * grandchild that a signal to the child does not reach.
 */
export const NODE22 = Number(process.versions.node.split('.')[0]) >= 22 ? process.execPath : fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));

export interface ChildSpec {
  /** Short name for logs: `devnet`, `coordinator`, `peer-1`. */
  name: string;
  /** gradnet subcommand and its arguments, e.g. `['daemon', '--rpc-url', url]`. */
  args: readonly string[];
  env?: Record<string, string>;
  /** A network namespace (`ip netns`) to run it in, as another host of a test network; needs root. */
  netns?: string;
  /** Called with every JSON log line the child writes to stderr (non-JSON lines come as `{ msg }`). */
  onLog?: (line: ChildLogLine) => void;
}

export interface ChildLogLine {
  level?: number;
  msg?: string;
  [field: string]: unknown;
}

export interface RunningChild {
  name: string;
  pid: number;
  /** Resolves with the exit code (or the signal's name) once the child has ended. */
  exited: Promise<number | string>;
  stdout: () => string;
}

/**
 * The processes one command started, and only those: each is stopped by its own PID,
 * SIGTERM first and SIGKILL after a grace period, on normal exit, on SIGINT/SIGTERM and
 * if the parent dies with them still running.
 */
export class ProcessGroup {
  private readonly children = new Map<number, { child: ChildProcess; name: string; exited: Promise<number | string> }>();
  private readonly logger: Logger;
  private readonly killOnExit = (): void => {
    for (const pid of this.children.keys()) signalGroup(pid, 'SIGKILL');
  };

  constructor(logger: Logger) {
    this.logger = logger;
    process.on('exit', this.killOnExit);
  }

  /** Starts `gradnet <args>` as a child process; its stderr log lines are forwarded to the group's logger at debug. */
  start(spec: ChildSpec): RunningChild {
    // Each child leads its own process group, so that stopping it also stops anything it spawned.
    // `ip netns exec` execs the command in place, so the PID (and its process group) stay the child's.
    const [command, args] = spec.netns === undefined ? [NODE22, [GRADNET_BIN, ...spec.args]] : ['ip', ['netns', 'exec', spec.netns, NODE22, GRADNET_BIN, ...spec.args]];
    const child = spawn(command, args, {
      env: { ...process.env, GRADNET_LOG_FORMAT: 'json', ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid === undefined) throw new ProcessError('CHILD_NOT_STARTED', `could not start ${spec.name} (${NODE22} ${GRADNET_BIN}); check that \`npm install\` has run`, { value: spec.name });
    const pid = child.pid;
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const lines = createInterface({ input: child.stderr! });
    lines.on('line', (text) => {
      const line = parseLogLine(text);
      this.logger.debug({ child: spec.name, ...childFields(line) }, `[${spec.name}] ${line.msg ?? ''}`);
      spec.onLog?.(line);
    });
    const exited = new Promise<number | string>((resolve) => {
      child.on('exit', (code, signal) => {
        this.children.delete(pid);
        resolve(code ?? signal ?? 'unknown');
      });
    });
    this.children.set(pid, { child, name: spec.name, exited });
    this.logger.debug({ child: spec.name, pid, args: spec.args }, `started ${spec.name}`);
    return { name: spec.name, pid, exited, stdout: () => stdout };
  }

  /** Stops one child by PID: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async stop(pid: number, graceMs = 5000): Promise<void> {
    const entry = this.children.get(pid);
    if (!entry) return;
    signalGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => {
      this.logger.warn({ child: entry.name, pid }, `${entry.name} did not stop within ${graceMs} ms; killing it`);
      signalGroup(pid, 'SIGKILL');
    }, graceMs);
    await entry.exited;
    clearTimeout(timer);
  }

  /** Stops every child still running, most recently started first (peers before the chain they use). */
  async stopAll(graceMs = 5000): Promise<void> {
    const pids = [...this.children.keys()].reverse();
    for (const pid of pids) await this.stop(pid, graceMs);
    process.off('exit', this.killOnExit);
  }

  running(): { name: string; pid: number }[] {
    return [...this.children.entries()].map(([pid, entry]) => ({ name: entry.name, pid }));
  }
}

/** A child's log fields without the ones our own logger writes again (level, time, pid, name, msg). */
export function childFields(line: ChildLogLine): Record<string, unknown> {
  const { level: _level, time: _time, pid: _pid, name: _name, msg: _msg, ...fields } = line;
  return fields;
}

/** Signals the process group led by our child `pid` (the child and whatever it started). */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function parseLogLine(text: string): ChildLogLine {
  if (text.startsWith('{')) {
    try {
      return JSON.parse(text) as ChildLogLine;
    } catch {
      // not JSON after all: fall through and keep the raw text
    }
  }
  return { msg: text };
}
