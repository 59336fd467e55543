import type { Address, Hex } from 'viem';
import { nodeRegistryAbi, StoredRoundCache, type GradnetChain } from '../core/chain/index.ts';
import { createGradnetNode, type GradnetNode } from '../core/p2p/index.ts';
import { createGossipValidator, nodeKeyAddress, type GradnetDomain, type ValidationContext } from '../core/protocol/index.ts';
import type { RoundGossip } from '../core/round/index.ts';
import type { CheckpointStore } from '../core/tensor/index.ts';
import { maxSamplesPerUpdate, type CoordinatorConfig } from './config.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import type { NodeView } from './node-view.ts';
import type { CoordinatorChain } from './ports.ts';
import type { CoordinatorStore } from './store.ts';

/** A stored update's bytes by digest; a failing store must not stop the checkpoints being served. */
function updateBytes(store: Pick<CoordinatorStore, 'updateMessage'>, digest: Hex): Uint8Array | undefined {
  try {
    return store.updateMessage(digest);
  } catch {
    return undefined;
  }
}

/** The runner's chain port over core/chain's wrappers and `account`'s transaction counts. */
export function chainPort(chain: GradnetChain, account: Address): CoordinatorChain {
  const { publicClient } = chain.clients;
  return {
    roundCount: () => chain.ledger.roundCount(),
    latestModelHash: () => chain.ledger.latestModelHash(),
    getRound: (round) => chain.ledger.getRound(round),
    commitRound: (record, options) => chain.ledger.commitRound(record, options),
    async pendingTransactionCount() {
      const [pending, latest] = await Promise.all([
        publicClient.getTransactionCount({ address: account, blockTag: 'pending' }),
        publicClient.getTransactionCount({ address: account, blockTag: 'latest' }),
      ]);
      return pending - latest;
    },
    blockNumber: () => publicClient.getBlockNumber(),
    async registryEventCount(fromBlock, toBlock) {
      return (await publicClient.getContractEvents({ address: chain.registry.address, abi: nodeRegistryAbi, fromBlock, toBlock })).length;
    },
    invalidateRegistry: () => chain.registry.invalidate(),
    async lastVoid() {
      // The commits the last void took back: the first one's parent is the model the head went back to.
      const voided = await chain.ledger.listVoidedRounds();
      const txHash = voided.at(-1)?.voidTransactionHash;
      const taken = voided.filter((round) => round.voidTransactionHash === txHash).sort((a, b) => a.roundId - b.roundId);
      if (txHash === undefined || taken.length === 0) return undefined;
      return { fromRound: taken[0].roundId, throughRound: taken.at(-1)?.roundId ?? taken[0].roundId, restoredModelHash: taken[0].parentHash, txHash };
    },
    isFinal: (round) => chain.ledger.isFinal(round),
    ownerOf: (nodeKey) => chain.registry.ownerOf(nodeKey),
  };
}

/** What commitments and updates of the round `open` are validated against: its model, its stage, the norm bound and the samples bound. */
export function updateValidationContext(config: CoordinatorConfig, open: { round: number; baseHash: Hex; reveal: boolean }, parameterCount: number): ValidationContext {
  return { round: open.round, baseModelHash: open.baseHash, parameterCount, maxNorm: config.maxUpdateNorm, maxSamples: maxSamplesPerUpdate(config), commitsClosed: open.reveal };
}

/**
 * The coordinator's libp2p node (created, not started) and the runner's gossip port over it.
 * Incoming updates are validated against the round the runner last admitted; only the
 * coordinator's own key may announce rounds and models.
 */
export function gossipPort(options: {
  config: CoordinatorConfig;
  chain: GradnetChain;
  domain: GradnetDomain;
  checkpoints: CheckpointStore;
  /** Serves the updates it holds by digest, to auditors that missed one a round included. */
  updates: Pick<CoordinatorStore, 'updateMessage'>;
  nodes: Pick<NodeView, 'isActive'>;
  metrics: Pick<CoordinatorMetrics, 'registry'>;
  parameterCount: number;
}): { node: GradnetNode; gossip: RoundGossip } {
  const { config, chain, nodes } = options;
  const p2pKey = config.p2pPrivateKey ?? config.privateKey;
  const self = nodeKeyAddress(p2pKey).toLowerCase();
  let admitted: ValidationContext | undefined;
  const storedRounds = new StoredRoundCache(chain.ledger);
  const validator = createGossipValidator({
    domain: options.domain,
    directory: { isActive: (nodeKey) => nodes.isActive(nodeKey, (key) => chain.registry.isActive(key)) },
    context: () => admitted,
    isCoordinator: (address) => address.toLowerCase() === self,
    registry: options.metrics.registry,
    // Verdicts are checked against the ledger and relayed: daemons that know only the coordinator hear each other's through it.
    ledger: { committedRound: (round, signal) => storedRounds.storedRound(round, { signal }) },
  });
  const node = createGradnetNode({
    privateKey: p2pKey,
    listen: config.listen,
    announce: config.announce,
    mdns: config.mdns,
    bootstrap: config.bootstrap,
    chainId: chain.clients.chainId,
    ledger: chain.ledger.address,
    validator,
    blobStore: { getBytes: async (hash) => updateBytes(options.updates, hash) ?? options.checkpoints.getBytes(hash) },
  });
  const gossip: RoundGossip = {
    // Relays validate the round's updates with these bounds, so they never forward what this coordinator refuses.
    publishRoundOpen: (open) => node.publishRoundOpen({ ...open, maxUpdateNorm: config.maxUpdateNorm, maxSamples: maxSamplesPerUpdate(config) }),
    publishModelAnnounce: (announce) => node.publishModelAnnounce(announce),
    admitUpdatesFor(open) {
      admitted = open === null ? undefined : updateValidationContext(config, open, options.parameterCount);
    },
    forgetRound: (round) => validator.forgetRound(round),
  };
  return { node, gossip };
}
