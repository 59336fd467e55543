import { GradnetError } from '../core/errors.ts';

/** The node key is not registered (or no longer active) in the NodeRegistry. */
export class NodeNotRegisteredError extends GradnetError {
  readonly nodeKey: string;

  /** `standing`: why a registered node is inactive and what fixes it (node-status-watch.ts), when known. */
  constructor(nodeKey: string, chainId: number, standing?: string) {
    super('NODE_NOT_REGISTERED', standing === undefined
      ? `node key ${nodeKey} is not registered (or not active) on chain ${chainId}; run \`gradnet register --stake AMOUNT --node ${nodeKey}\` with its owner wallet first`
      : `${standing} (chain ${chainId})`);
    this.nodeKey = nodeKey;
  }
}

/** Another live daemon holds this data directory or node key: two would sign two updates per round. */
export class DaemonAlreadyRunningError extends GradnetError {
  constructor(what: string, pid: number, lockFile: string) {
    super(
      'DAEMON_ALREADY_RUNNING',
      `another gradnet daemon (pid ${pid}) already runs with ${what}; stop it first (two daemons with one node key sign two updates in a round and the node is slashed), or if pid ${pid} is no gradnet daemon, delete ${lockFile}`,
      { value: lockFile },
    );
  }
}

/** The daemon's record of what it signed cannot be read. */
export class PeerStateError extends GradnetError {
  constructor(file: string, problem: string) {
    super('PEER_STATE_UNREADABLE', `cannot read the daemon's signed-update record ${file}: ${problem}; restore it from a backup, or move it away to start afresh (the daemon may then sign again for the open round and be slashed: wait for that round to close first)`, { value: file });
  }
}
