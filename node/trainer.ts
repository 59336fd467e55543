import type { Hex } from 'viem';
import type { Logger } from 'pino';
import { checkpointTraining } from '../core/audit/index.ts';
import { startProgress } from '../core/log/index.ts';
import { trainLocal, type Dataset, type ModelSpec } from '../core/ml/index.ts';
import type { Abortable, PeerTrainer } from '../core/peer/index.ts';
import { encodeDelta, errorFeedbackStart, isSparseCodec, type Checkpoint, type CodecId } from '../core/tensor/index.ts';
import type { PeerPhase, PhaseClock } from './phase-clock.ts';

export interface TrainerOptions {
  /** This node's shard of the training split. */
  shard: Dataset;
  innerSteps: number;
  batchSize: number;
  /**
   * The Adam learning rate when the round's base checkpoint asks for none (genesis, a coordinator
   * without an inner schedule); otherwise the checkpoint's rate and weight decay win.
   */
  learningRate: number;
  codec: CodecId;
  /** Sparse codecs only (topk, topksign): fraction of coordinates sent each round. */
  /** Unset: the codec's own default. */
  topkFraction?: number;
  /** Seeds batch order together with the node key and round, so a node's update is reproducible. */
  seed: number;
  nodeKey: Hex;
  /** Where the round's base model comes from (verified by hash). */
  models: { checkpoint(modelHash: Hex, options?: Abortable): Promise<Checkpoint> };
  logger: Logger;
  /** The daemon's phase accounting: reading the base model counts as fetching, compressing as encoding. */
  phases?: PhaseClock;
}

/** A round's compressed pseudo-gradient, ready to be signed and gossiped. */
export interface PreparedUpdate {
  round: number;
  baseModelHash: Hex;
  codec: CodecId;
  payload: Uint8Array;
  samples: number;
  /** Mean local training loss. */
  trainLoss: number;
  /** Wall time of local training (the inner steps), milliseconds. */
  trainMs: number;
  /** Wall time of compressing the pseudo-gradient, milliseconds. */
  encodeMs: number;
  /** Error feedback: what this payload did not carry, for the next round (lossy codecs only). */
  residual: Float32Array | undefined;
}

/**
 * Trains the node's shard from a round's base model and compresses the pseudo-gradient.
 * Lossy codecs carry an error-feedback residual across rounds: what one round's payload did
 * not carry is added to the next round's delta, so nothing is lost for good, and local training
 * starts from base + residual so that those coordinates are not learned a second time. The
 * residual goes in and out explicitly: the daemon keeps the one that belongs to its signed update.
 */
export class Trainer implements PeerTrainer<PreparedUpdate> {
  private readonly options: TrainerOptions;

  constructor(options: TrainerOptions) {
    this.options = options;
  }

  #during<T>(phase: PeerPhase, run: () => Promise<T> | T): Promise<T> {
    return this.options.phases === undefined ? Promise.resolve(run()) : this.options.phases.during(phase, run);
  }

  async train(input: { round: number; baseModelHash: Hex; residual: Float32Array | undefined }, { signal }: Abortable = {}): Promise<PreparedUpdate> {
    const { options } = this;
    const { round } = input;
    const base = await this.#during('fetching', () => options.models.checkpoint(input.baseModelHash, { signal }));
    const started = performance.now();
    const spec: ModelSpec = base.meta.model;
    const progress = startProgress({ label: `round ${round}`, total: options.innerSteps, logger: options.logger });
    const residual = input.residual?.length === base.params.length ? input.residual : undefined;
    // The coordinator's schedule, recorded under the base model's hash. An update is never judged
    // by the rate it was trained at (nobody can tell), so a daemon on its own rate is still paid.
    const { learningRate, weightDecay } = checkpointTraining(base) ?? { learningRate: options.learningRate, weightDecay: 0 };
    const result = await trainLocal({
      spec,
      params: errorFeedbackStart(base.params, residual),
      data: options.shard,
      config: { innerSteps: options.innerSteps, batchSize: options.batchSize, learningRate, weightDecay, seed: `${options.seed}/${options.nodeKey.toLowerCase()}/${round}` },
      signal,
      onStep: (stepsDone, loss) => progress.update(stepsDone, { loss }),
    }).finally(() => progress.stop());
    const trainMs = Math.round(performance.now() - started);
    const encoded = await this.#during('encoding', () => encodeDelta(options.codec, result.delta, {
      residual: options.codec === 'fp32' ? undefined : residual,
      k: isSparseCodec(options.codec) ? options.topkFraction : undefined,
    }));
    const encodeMs = Math.round(performance.now() - started) - trainMs;
    options.logger.info(
      { round, samples: result.samples, trainLoss: result.trainLoss, learningRate, weightDecay, codec: options.codec, payloadBytes: encoded.payload.length, trainMs, encodeMs },
      `trained round ${round}: loss ${result.trainLoss.toFixed(4)} on ${result.samples} samples in ${trainMs} ms, encoded in ${encodeMs} ms`,
    );
    return { round, baseModelHash: base.modelHash, codec: options.codec, payload: encoded.payload, samples: result.samples, trainLoss: result.trainLoss, trainMs, encodeMs, residual: encoded.residual };
  }
}
