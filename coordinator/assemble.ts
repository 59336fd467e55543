import { join } from 'node:path';
import type { Hex } from 'viem';
import type { Registry } from 'prom-client';
import { connectGradnet, type GradnetChain } from '../core/chain/index.ts';
import type { Logger } from '../core/log/index.ts';
import { initBackend, initialParams, layoutFor, loadDataset, resolveModelSpec, type Dataset, type ModelSpec } from '../core/ml/index.ts';
import type { GradnetNode } from '../core/p2p/index.ts';
import { gradnetDomain } from '../core/protocol/index.ts';
import { CheckpointStore, genesisCheckpoint, layoutSize } from '../core/tensor/index.ts';
import type { Clock } from '../core/time/index.ts';
import { chainPort, gossipPort } from './adapters.ts';
import type { CoordinatorConfig } from './config.ts';
import { CoordinatorConfigError } from './errors.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import { NodeView } from './node-view.ts';
import type { RunnerPorts } from './ports.ts';
import { Slasher } from './slashing.ts';
import { CoordinatorStore } from './store.ts';

/** Parts the coordinator builds from its config unless they are handed in (js-libp2p style). */
export interface CoordinatorComponents {
  /** pino logger; silent when not given. */
  logger?: Logger;
  /** Where /metrics lives; a fresh registry when not given. */
  metricsRegistry?: Registry;
  /** An already connected chain, e.g. a demo's; connectGradnet(rpcUrl, privateKey) otherwise. */
  chain?: GradnetChain;
  /** Validation examples for evaluation and scoring; the configured dataset's validation split otherwise. */
  validation?: Dataset;
  /** The time and timers; the system clock when not given. */
  clock?: Clock;
}

/** Everything start-up opened and checked, ready for recovery and the runner. */
export interface Assembled extends Pick<RunnerPorts, 'store' | 'chain' | 'gossip' | 'checkpoints' | 'nodes' | 'slasher' | 'model'> {
  /** The libp2p node behind `gossip`, created but not started. */
  node: GradnetNode;
  /** Who this coordinator is, for /status. */
  identity: { chainId: number; ledger: Hex; coordinator: Hex };
}

/**
 * Start-up: opens the store, connects to the chain, checks that the configured budget and
 * model match the deployed ledger (writing the genesis checkpoint if it is missing), reads the
 * registry, and creates the libp2p node. The store is closed again if any step fails.
 */
export async function assembleCoordinator(
  config: CoordinatorConfig,
  components: CoordinatorComponents,
  ports: { clock: Clock; metrics: CoordinatorMetrics; signal: AbortSignal },
): Promise<Assembled> {
  const { clock, metrics, signal } = ports;
  const store = CoordinatorStore.open(join(config.dataDir, 'coordinator.db'));
  try {
    const chain = components.chain ?? (await connectGradnet({ rpcUrl: config.rpcUrl, account: config.privateKey, deploymentsFile: config.deployments, signal }));
    const account = chain.clients.account;
    if (!account) throw new CoordinatorConfigError('the coordinator needs a wallet (privateKey) to commit rounds', undefined);
    const ledger = chain.ledger.address;
    store.bindDeployment(chain.clients.chainId, ledger);
    const domain = gradnetDomain(chain.clients.chainId, ledger);
    await checkBudget(config, chain);

    const spec = resolveModelSpec({ ...config.model, dataset: config.dataset });
    await initBackend(undefined, { logger: components.logger });
    const validation = components.validation ?? (await loadDataset(config.dataset, { dataDir: config.datasetDir, signal })).validation;
    const checkpoints = new CheckpointStore(join(config.dataDir, 'checkpoints'));
    await ensureGenesis(config, chain, checkpoints, spec);

    const nodes = new NodeView({ store, source: chain.registry, livenessMs: config.round.livenessMs, failAfterMissedRounds: config.nodes.failAfterMissedRounds });
    metrics.activeNodes.set(await nodes.sync(clock.now(), signal));
    const slasher = new Slasher({
      store,
      writer: chain.registryClient,
      backoff: { baseMs: config.round.retryBaseMs, maxMs: config.round.retryMaxMs },
    });
    const { node, gossip } = gossipPort({ config, chain, domain, checkpoints, updates: store, nodes, metrics, parameterCount: layoutSize(layoutFor(spec)) });
    return {
      store,
      chain: chainPort(chain, account.address),
      gossip,
      node,
      checkpoints,
      nodes,
      slasher,
      model: { spec, validation, domain },
      identity: { chainId: chain.clients.chainId, ledger, coordinator: account.address },
    };
  } catch (error) {
    store.close();
    throw error;
  }
}

async function checkBudget(config: CoordinatorConfig, chain: GradnetChain): Promise<void> {
  const max = await chain.ledger.maxRewardBudget();
  if (config.rewards.budgetPerRound > max) {
    throw new CoordinatorConfigError(`rewards.budgetPerRound ${config.rewards.budgetPerRound} wei exceeds the ledger's maxRewardBudget ${max}; lower it`, config.rewards.budgetPerRound);
  }
}

/**
 * Makes sure the genesis checkpoint is on disk, built from the configured model, dataset and seed.
 * The hash is checked even when the checkpoint is already held: a restart with another model or
 * dataset would otherwise evaluate and score the network's model on data it was not trained on.
 */
async function ensureGenesis(config: CoordinatorConfig, chain: GradnetChain, checkpoints: CheckpointStore, spec: ModelSpec): Promise<void> {
  const genesis = await chain.ledger.genesisModelHash();
  const initial = initialParams(spec, config.modelSeed);
  const checkpoint = genesisCheckpoint(initial);
  if (checkpoint.modelHash.toLowerCase() !== genesis.toLowerCase()) {
    throw new CoordinatorConfigError(
      `the ledger's genesis model is ${genesis}, but model ${JSON.stringify(spec)} with seed ${config.modelSeed} hashes to ${checkpoint.modelHash}; set model, dataset and modelSeed as they were at deploy`,
      { genesis, computed: checkpoint.modelHash },
    );
  }
  if (!(await checkpoints.has(genesis))) await checkpoints.put(checkpoint);
}
