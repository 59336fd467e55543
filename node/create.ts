import { join } from 'node:path';
import { connectGradnet, fetchChainId } from '../core/chain/index.ts';
import type { DaemonConfig } from '../core/config/index.ts';
import type { Logger } from '../core/log/index.ts';
import { initBackend, loadDataset, shardFor } from '../core/ml/index.ts';
import { createGradnetNode } from '../core/p2p/index.ts';
import type { PeerConfig } from '../core/peer/index.ts';
import { createGossipValidator, gradnetDomain, signVerdict, type SignedVerdict } from '../core/protocol/index.ts';
import { CheckpointStore } from '../core/tensor/index.ts';
import { systemClock } from '../core/time/index.ts';
import { loadKey } from '../core/wallet/index.ts';
import { LedgerAuditor, type AuditResult } from './auditor.ts';
import { Challenger } from './challenger.ts';
import { PeerDaemon } from './daemon.ts';
import { NodeNotRegisteredError } from './errors.ts';
import { EvidenceReporter, registryEvidenceChain } from './evidence-reporter.ts';
import { UpdateWindowSource, libp2pGossip } from './gossip.ts';
import { ledgerChain } from './ledger-chain.ts';
import { CheckpointModels } from './model-sync.ts';
import { readStanding, stopOnLostStanding, type LostStanding } from './node-status-watch.ts';
import { FilePeerStore } from './peer-store.ts';
import { PhaseClock } from './phase-clock.ts';
import { UpdateSigner } from './signer.ts';
import { Trainer, type PreparedUpdate } from './trainer.ts';
import { coordinatorRewardHistory } from './reward-history.ts';
import { UpdateArchive } from './update-archive.ts';
import { auditChain, challengeChain, verdictLedger } from './verdict-chain.ts';

/** Failed rounds steps are retried after 1 s, doubling to 15 s (the first failure already waits base·2). */
const RETRY_BACKOFF = { baseMs: 500, maxMs: 15_000 };

export interface PeerDaemonComponents {
  logger: Logger;
  env?: Record<string, string | undefined>;
  /** Ask for the keystore password on a terminal when no file or variable gives it. */
  interactive?: boolean;
  /** Called with every audit verdict (the demo collects them; the log has them too). */
  onAudit?: (result: AuditResult) => void;
  /** Called once the daemon stopped itself because its node no longer counts as active (slashed, exiting, …). */
  onStandingLost?: (standing: LostStanding) => void;
  signal?: AbortSignal;
}

/** The state machine's timing from the daemon's settings. */
export function peerConfigOf(config: DaemonConfig, nodeKey: PeerConfig['nodeKey']): PeerConfig {
  const heartbeatMs = config.heartbeatSeconds * 1000;
  return { nodeKey, pollMs: config.chainPollSeconds * 1000, heartbeatMs, republishAfterMs: heartbeatMs, audit: config.audit, backoff: RETRY_BACKOFF };
}

/**
 * Builds a peer daemon from its settings: loads the node key, checks its registration, loads its
 * shard and wires the chain, libp2p, checkpoint store, trainer and auditor into the daemon's
 * ports. The daemon is returned unstarted; `start()` joins the network.
 */
export async function createPeerDaemon(config: DaemonConfig, components: PeerDaemonComponents): Promise<PeerDaemon<PreparedUpdate>> {
  const { logger, signal } = components;
  const env = components.env ?? process.env;
  const chainId = await fetchChainId(config.rpcUrl);
  const key = await loadKey({ role: 'node', keystoreDir: config.keystoreDir, select: config.node, passwordFile: config.passwordFile, chainId, env, logger, interactive: components.interactive });
  // The node key's account sends the equivocation proofs this node finds (and earns their bounty),
  // and the challenges of rounds enough stake judged wrong.
  const connected = await connectGradnet({ rpcUrl: config.rpcUrl, deploymentsFile: config.deployments, account: key.privateKey, signal });
  const chain = ledgerChain(connected);
  if (!(await chain.isActive(key.address, { signal }))) {
    // A key that was registered once lost its standing in a way its owner can fix: say how.
    const standing = await readStanding(connected.registry, key.address);
    throw new NodeNotRegisteredError(key.address, chainId, standing?.owner === undefined ? undefined : standing.message);
  }

  await initBackend(config.backend, { logger });
  const dataset = await loadDataset(config.dataset, { dataDir: config.datasetDir, signal });
  const shard = shardFor({
    data: dataset.train,
    seed: config.dataSeed,
    peers: config.shardCount,
    index: config.shardIndex,
    nodeKey: key.address,
    scheme: config.shardScheme,
    alpha: config.shardAlpha,
  });
  logger.info({ nodeKey: key.address, examples: shard.size, shardIndex: config.shardIndex, shardCount: config.shardCount, scheme: config.shardScheme }, `loaded a shard of ${shard.size} training examples`);

  const store = new CheckpointStore(join(config.dataDir, 'checkpoints'));
  const domain = gradnetDomain(chainId, connected.deployments.contracts.RoundLedger.address);
  // The validator reads the open round from the window the daemon sets: built before both.
  const window = new UpdateWindowSource();
  const reporter = new EvidenceReporter({ chain: registryEvidenceChain(connected), nodeKey: key.address, logger, backoff: RETRY_BACKOFF });
  await reporter.checkGas();
  const validator = createGossipValidator({
    domain,
    directory: { isActive: (nodeKey, signal) => chain.isActive(nodeKey, { signal }) },
    context: () => window.current(),
    isCoordinator: (address) => chain.isCoordinator(address),
    ledger: verdictLedger(connected),
    onEquivocation: (evidence) => reporter.report(evidence),
  });
  const p2p = createGradnetNode({
    privateKey: key.privateKey,
    listen: config.listen,
    announce: config.announce,
    bootstrap: config.bootstrap,
    mdns: config.mdns,
    upnp: config.upnp,
    chainId,
    ledger: connected.deployments.contracts.RoundLedger.address,
    validator,
    blobStore: { getBytes: (hash) => store.getBytes(hash).catch(() => undefined) },
  });
  p2p.on('relayed', ({ peer, address }) => logger.info({ event: 'relayed', peer, address }, `connected to ${peer} through a relay`));
  const models = new CheckpointModels({ store, p2p, logger });
  // Verdict work (audits waiting for inputs, challenges) ends when the daemon's gossip stops.
  const verdictWork = new AbortController();
  const archive = new UpdateArchive({ exchange: p2p, domain });
  p2p.on('update', ({ update, digest, delta }) => archive.keep(update, digest, delta));
  const challenger = new Challenger({ chain: challengeChain(connected), logger, backoff: RETRY_BACKOFF, signal: verdictWork.signal });
  // Every verdict is logged whole, signature included: `gradnet challenge --verdicts` reads these lines.
  const logVerdict = (signedVerdict: SignedVerdict, from: 'self' | 'gossip'): void =>
    logger.info({ event: 'verdict', from, signedVerdict }, `verdict ${signedVerdict.verdict} on round ${signedVerdict.round} by ${signedVerdict.nodeKey}`);
  p2p.on('verdict', ({ peer: _peer, ...verdict }) => {
    logVerdict(verdict, 'gossip');
    void challenger.offer(verdict);
  });
  const auditor = new LedgerAuditor({
    logger,
    chain: auditChain(connected),
    models: {
      checkpoint: (modelHash, options) => models.checkpoint(modelHash, options),
      held: async (modelHash) => ((await store.has(modelHash)) ? store.get(modelHash) : undefined),
    },
    archive,
    history: config.coordinatorUrl === undefined ? undefined : coordinatorRewardHistory(config.coordinatorUrl),
    scorer: { validation: dataset.validation },
    publish: async (fields) => {
      const verdict = await signVerdict({ privateKey: key.privateKey, domain, ...fields });
      logVerdict(verdict, 'self');
      // Gossip does not deliver a node's own messages back: its verdict counts here directly.
      void challenger.offer(verdict);
      if (p2p.running) await p2p.publishVerdict(verdict, { signal: verdictWork.signal });
    },
    clock: systemClock,
    lifetime: verdictWork.signal,
    onAudit: components.onAudit,
  });
  // One account of the daemon's wall time: the trainer marks its fetching and encoding in it.
  const phases = new PhaseClock(() => systemClock.now());
  const trainer = new Trainer({
    shard,
    innerSteps: config.innerSteps,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    codec: config.codec,
    topkFraction: config.topkFraction,
    seed: config.dataSeed,
    nodeKey: key.address,
    models,
    logger,
    phases,
  });
  const gossip = libp2pGossip({ p2p, window, domain, logger });
  // The reporter lives as long as the gossip that feeds it evidence.
  const stopGossip = gossip.stop;
  gossip.stop = async () => {
    verdictWork.abort(new Error('the daemon stopped'));
    await reporter.stop();
    await stopGossip();
  };
  // Slashed, exiting or replaced, the node's updates would be refused: the daemon stops and says what fixes it.
  return stopOnLostStanding(new PeerDaemon({
    config: peerConfigOf(config, key.address),
    chain,
    gossip,
    models,
    trainer,
    signer: new UpdateSigner({ privateKey: key.privateKey, domain }),
    auditor,
    store: new FilePeerStore({ dataDir: config.dataDir, nodeKey: key.address, keystoreDir: config.keystoreDir }),
    clock: systemClock,
    logger,
    phases,
  }), { source: connected.registry, nodeKey: key.address, logger, pollMs: config.heartbeatSeconds * 1000, onLost: components.onStandingLost });
}
