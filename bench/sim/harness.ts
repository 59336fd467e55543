import type { Hex } from 'viem';
import { applyRound, checkpointTraining, type RoundAggregationInput } from '../../core/audit/index.ts';
import { evaluate, referenceLoss, SeededRandom, trainLocal, type Dataset, type LocalTrainingResult, type ModelSpec } from '../../core/ml/index.ts';
import { payRound } from '../../core/rewards/index.ts';
import { errorFeedbackStart, genesisCheckpoint, type Checkpoint, type CodecId, type ParameterLayout } from '../../core/tensor/index.ts';
import { FIXED_POINT_SCALE, fromFixedPoint } from '../../core/units/index.ts';
import { attackerTrainingData, attackNeedsOwnUpdate, craftAttack, type AttackName, type AttackOptions } from './attacks.ts';
import { SimulationError } from './errors.ts';
import type { PinnedModelUpdateCache } from './update-cache.ts';
import { SimulatedWire } from './wire.ts';

/** Everything one simulated training run needs; the data arrays are shared, never copied. */
export interface SimulationConfig {
  spec: ModelSpec;
  layout: ParameterLayout;
  /** The genesis parameters (not modified). */
  initial: Float32Array;
  /** One shard per peer; the last `attack.attackers` peers are the malicious ones. */
  shards: readonly Dataset[];
  /** The coordinator's held-out batch that scores each update. */
  scoring: Dataset;
  /** Test data for the curve and the final accuracy. */
  test: Dataset;
  rounds: number;
  inner: { innerSteps: number; batchSize: number; learningRate: number };
  /** Rule and outer optimizer, as the coordinator records them in each checkpoint. */
  aggregation: RoundAggregationInput;
  codec: CodecId;
  /** topk's kept fraction. */
  topkFraction?: number;
  /** The validator's bound on an update's L2 norm. */
  maxNorm: number;
  attack?: { name: AttackName; attackers: number; options: AttackOptions };
  /** Reward budget per round (wei) and the cap per node as a fraction of it. */
  rewards: { budget: bigint; cap: number };
  seed: number;
  /** Test examples evaluated after each round for the curve; the final figure uses the whole test set. */
  curveTestLimit?: number;
  cache?: PinnedModelUpdateCache;
  /** Called after each round, e.g. to print progress. */
  onRound?: (report: RoundReport) => void;
}

/** An update the validator accepted, with who sent it. */
interface AcceptedSimUpdate {
  peer: number;
  nodeKey: Hex;
  /** The EIP-712 digest: the update's identity (aggregation order, updates root). */
  digest: Hex;
  /** SHA-256 of the payload (the protocol's payload digest): equal payloads are copies. */
  payloadDigest: Hex;
  delta: Float32Array;
  samples: number;
}

export interface RoundReport {
  round: number;
  accuracy: number;
  loss: number;
  accepted: number;
  seconds: number;
}

export interface SimulationResult {
  curve: { round: number; accuracy: number; loss: number }[];
  accuracy: number;
  loss: number;
  /** Mean payload size of the updates sent (what gossip carries per update, signature and fields aside). */
  bytesPerUpdate: number;
  /** Fraction of all rewards paid over the run that went to malicious peers (0 without an attack). */
  attackerRewardShare: number;
  /** Updates the validator refused, by reason. */
  refused: Record<string, number>;
  seconds: number;
}

/**
 * Runs peers in one process through the network's own code paths, round by round: honest local
 * training (core/ml), the attack, the codec, signing and the coordinator's update validator
 * (core/tensor, core/protocol), the coordinator's round transition — robust aggregation and the
 * DiLoCo outer step (core/audit's applyRound) — then scoring and reward allocation (core/rewards).
 * Only the gossip sockets are left out.
 */
export async function runSimulation(config: SimulationConfig): Promise<SimulationResult> {
  const started = performance.now();
  const peers = config.shards.length;
  const attackers = config.attack?.attackers ?? 0;
  const honestPeers = peers - attackers;
  if (honestPeers < 1) throw new SimulationError(`${attackers} attackers leave no honest peer among ${peers}`, attackers);
  const wire = new SimulatedWire({ peers, seed: config.seed, maxNorm: config.maxNorm });
  const samples = config.inner.innerSteps * config.inner.batchSize;

  let checkpoint: Checkpoint = genesisCheckpoint({ layout: config.layout, params: config.initial, spec: config.spec });
  const curve: SimulationResult['curve'] = [];
  const refused: Record<string, number> = {};
  let payloadBytes = 0;
  let payloads = 0;
  let attackerReward = 0n;
  let totalReward = 0n;

  for (let round = 1; round <= config.rounds; round++) {
    const roundStarted = performance.now();
    const { params, modelHash: baseHash } = checkpoint;
    wire.openRound(round, baseHash, params.length);

    const needOwn = config.attack !== undefined && attackNeedsOwnUpdate(config.attack.name);
    const trained: LocalTrainingResult[] = [];
    for (let peer = 0; peer < (needOwn ? peers : honestPeers); peer++) {
      const data = config.attack && peer >= honestPeers ? attackerTrainingData(config.attack.name, config.shards[peer]) : config.shards[peer];
      trained.push(await honestUpdate(config, data, checkpoint, round, peer, wire.residualOf(peer)));
    }
    const sent = trained.slice(0, honestPeers).map((result) => ({ delta: result.delta, trainLoss: result.trainLoss }));
    if (config.attack) {
      const malicious = craftAttack(
        config.attack.name,
        {
          honest: sent.map((update) => update.delta),
          own: trained.slice(honestPeers).map((result) => result.delta),
          attackers,
          peers,
          random: new SeededRandom(config.seed, 'attack', config.attack.name, round),
        },
        config.attack.options,
      );
      // Attackers claim a plausible training loss: the honest mean.
      const claimedLoss = sent.reduce((sum, update) => sum + update.trainLoss, 0) / sent.length;
      sent.push(...malicious.map((delta) => ({ delta, trainLoss: claimedLoss })));
    }

    const accepted: AcceptedSimUpdate[] = [];
    for (const [peer, update] of sent.entries()) {
      const delivery = await wire.send(peer, { ...update, samples, codec: config.codec, topkFraction: config.topkFraction });
      payloadBytes += delivery.payloadBytes;
      payloads++;
      if (delivery.accepted) {
        const { nodeKey, digest, payloadDigest, delta } = delivery;
        accepted.push({ peer, nodeKey, digest, payloadDigest, delta, samples });
      } else {
        refused[delivery.reason] = (refused[delivery.reason] ?? 0) + 1;
      }
    }
    if (accepted.length === 0) throw new SimulationError(`round ${round}: the validator refused every update (${JSON.stringify(refused)})`, refused);

    const applied = applyRound({ parent: checkpoint, round, updates: accepted, aggregation: config.aggregation });
    checkpoint = applied.checkpoint;
    const rewarded = await rewardRound(config, params, accepted, applied.aggregation.stats.rejected);
    for (const { peer, reward } of rewarded) {
      totalReward += reward;
      if (peer >= honestPeers) attackerReward += reward;
    }

    const evaluation = await evaluate({ spec: config.spec, params: checkpoint.params, data: config.test, limit: config.curveTestLimit });
    curve.push({ round, accuracy: evaluation.accuracy, loss: evaluation.loss });
    config.onRound?.({ round, accuracy: evaluation.accuracy, loss: evaluation.loss, accepted: accepted.length, seconds: (performance.now() - roundStarted) / 1000 });
  }

  const final = await evaluate({ spec: config.spec, params: checkpoint.params, data: config.test });
  return {
    curve,
    accuracy: final.accuracy,
    loss: final.loss,
    bytesPerUpdate: payloads === 0 ? 0 : payloadBytes / payloads,
    attackerRewardShare: totalReward === 0n ? 0 : fromFixedPoint((attackerReward * BigInt(FIXED_POINT_SCALE)) / totalReward),
    refused,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * An honest peer's local training from the global model plus its error-feedback residual, at the
 * learning rate and weight decay the base checkpoint asks for (as node/trainer.ts does), or the
 * shared result when the cache holds it; the cache is keyed by the global model, so only
 * residual-free starts use it.
 */
async function honestUpdate(
  config: SimulationConfig,
  data: Dataset,
  base: Checkpoint,
  round: number,
  peer: number,
  residual: Float32Array | undefined,
): Promise<LocalTrainingResult> {
  // Poisoned data (a label flipper's) gives another update than the peer's shard would: never cached.
  const cache = residual === undefined && data === config.shards[peer] ? config.cache : undefined;
  const cached = cache?.get(base.modelHash, round, peer);
  if (cached) return cached;
  const result = await trainLocal({
    spec: config.spec,
    params: errorFeedbackStart(base.params, residual),
    data,
    config: { ...config.inner, ...checkpointTraining(base), seed: `${config.seed}/round-${round}/peer-${peer}` },
  });
  cache?.set(base.modelHash, round, peer, result);
  return result;
}

/**
 * The coordinator's scoring and payout for one round (core/rewards' payRound). Arrival order is the
 * order peers sent in: attackers come last, since copying and ALIE need the honest updates first.
 */
async function rewardRound(
  config: SimulationConfig,
  params: Float32Array,
  accepted: readonly AcceptedSimUpdate[],
  setAside: readonly Hex[],
): Promise<{ peer: number; reward: bigint }[]> {
  const { rewards } = await payRound({
    params,
    // Each simulated peer is registered by an owner of its own.
    updates: accepted.map((update, arrival) => ({ ...update, owner: update.nodeKey, arrival })),
    setAside,
    evaluateLoss: (candidate) => referenceLoss({ spec: config.spec, params: candidate, data: config.scoring, limit: config.scoring.size }),
    budgetWei: config.rewards.budget,
    capShare: config.rewards.cap,
  });
  return accepted.map((update, index) => ({ peer: update.peer, reward: rewards[index] }));
}
