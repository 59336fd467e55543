import { formatEther, zeroAddress, type Address } from 'viem';
import type { RegisteredNode } from '../core/chain/index.ts';
import type { Logger } from '../core/log/index.ts';

/** What the watch reads of the NodeRegistry (core/chain's RegistryReader fits). */
export interface StandingSource {
  ownerOf(nodeKey: Address): Promise<Address | undefined>;
  nodeOf(owner: Address): Promise<RegisteredNode>;
  minStake(): Promise<bigint>;
}

/** Why a node no longer counts as active, and the command its owner runs to fix it. */
export interface LostStanding {
  nodeKey: Address;
  owner: Address | undefined;
  reason: 'unregistered' | 'rotated' | 'exiting' | 'below-minimum';
  /** One sentence: what happened, what the daemon does about it, the command that fixes it. */
  message: string;
}

/**
 * The node's standing from the registry's record: undefined while it is active, else why not
 * and what fixes it. A node whose stake is below the minimum (a slashing takes all of it) is
 * topped up; an exiting one is withdrawn and registered anew; a rotated key is replaced in the daemon.
 */
export function nodeStanding(nodeKey: Address, owner: Address | undefined, node: RegisteredNode | undefined, minStake: bigint): LostStanding | undefined {
  const lost = (reason: LostStanding['reason'], problem: string, fix: string): LostStanding => ({
    nodeKey,
    owner,
    reason,
    message: `node ${nodeKey} is not active: ${problem}; its updates would be refused, so the daemon stops. Fix: ${fix}`,
  });
  const ownerFlag = owner === undefined ? '' : ` --owner ${owner}`;
  if (owner === undefined || node === undefined || node.nodeKey === zeroAddress) {
    return lost('unregistered', owner === undefined ? 'it is not registered' : `its owner ${owner} withdrew it`, `register it with its owner wallet, \`gradnet register --stake <GRAD> --node ${nodeKey}\`${ownerFlag}, then start the daemon again`);
  }
  if (node.nodeKey.toLowerCase() !== nodeKey.toLowerCase()) {
    return lost('rotated', `its owner ${owner} replaced it with node key ${node.nodeKey}`, `run the daemon with the new key, \`gradnet daemon --node ${node.nodeKey}\``);
  }
  if (node.unbondingEndsAt !== 0) {
    const when = new Date(node.unbondingEndsAt * 1000).toISOString().replace('.000', '');
    return lost('exiting', `its owner ${owner} asked it to exit`, `\`gradnet stake withdraw${ownerFlag}\` after ${when} pays the stake back; then \`gradnet register\` a node to take part again`);
  }
  if (node.stake < minStake) {
    const missing = minStake - node.stake;
    return lost('below-minimum', `its stake is ${formatEther(node.stake)} GRAD, below the minimum of ${formatEther(minStake)} GRAD (${node.stake === 0n ? 'it was slashed: two different updates signed for one round' : 'the minimum was raised'})`,
      `\`gradnet stake add ${formatEther(missing)}${ownerFlag}\`, then start the daemon again${node.stake === 0n ? ' (and run one daemon per node key only)' : ''}`);
  }
  return undefined;
}

/** Reads the node's standing from the registry: undefined while it is active. */
export async function readStanding(source: StandingSource, nodeKey: Address): Promise<LostStanding | undefined> {
  const owner = await source.ownerOf(nodeKey);
  const [node, minStake] = await Promise.all([owner === undefined ? undefined : source.nodeOf(owner), source.minStake()]);
  return nodeStanding(nodeKey, owner, node, minStake);
}

export interface NodeStatusWatchOptions {
  source: StandingSource;
  nodeKey: Address;
  logger: Logger;
  /** How often the registry is read. */
  pollMs: number;
  /** Called once, when the node has been seen inactive on two reads in a row. */
  onLost: (standing: LostStanding) => void;
}

/**
 * Reads the node's standing every `pollMs` while the daemon runs. Two inactive answers in a row
 * (one could come from an RPC node that lags behind) end the watch with `onLost`; a failed read
 * is logged and tried again on the next tick, never taken as lost standing.
 */
export class NodeStatusWatch {
  readonly #options: NodeStatusWatchOptions;
  #timer: NodeJS.Timeout | undefined;
  #strikes = 0;
  #checking: Promise<void> | undefined;

  constructor(options: NodeStatusWatchOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#checking ??= this.#check().finally(() => (this.#checking = undefined));
    }, this.#options.pollMs);
    // The watch alone must not keep the process alive.
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#checking;
  }

  async #check(): Promise<void> {
    const { source, nodeKey, logger } = this.#options;
    let standing: LostStanding | undefined;
    try {
      standing = await readStanding(source, nodeKey);
    } catch (error) {
      logger.warn({ event: 'standing', err: (error as Error).message }, 'could not read the node\'s registration; trying again');
      return;
    }
    this.#strikes = standing === undefined ? 0 : this.#strikes + 1;
    if (standing === undefined || this.#strikes < 2 || this.#timer === undefined) return;
    logger.error({ event: 'standing', reason: standing.reason, nodeKey, owner: standing.owner }, standing.message);
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#options.onLost(standing);
  }
}

/** What the watch needs of the daemon it guards. */
export interface Stoppable {
  start(options?: { signal?: AbortSignal }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Guards `daemon` with a NodeStatusWatch that runs while it does: once the node has lost its
 * standing, the watch logs what fixes it, stops the daemon and calls `onLost` (the CLI exits 1).
 */
export function stopOnLostStanding<Daemon extends Stoppable>(daemon: Daemon, options: Omit<NodeStatusWatchOptions, 'onLost'> & { onLost?: (standing: LostStanding) => void }): Daemon {
  const watch = new NodeStatusWatch({
    ...options,
    onLost: (standing) => {
      void daemon.stop().finally(() => options.onLost?.(standing));
    },
  });
  const start = daemon.start.bind(daemon);
  const stop = daemon.stop.bind(daemon);
  daemon.start = async (startOptions) => {
    await start(startOptions);
    watch.start();
  };
  daemon.stop = async () => {
    await watch.stop();
    await stop();
  };
  return daemon;
}
