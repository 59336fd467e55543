import type { Hex } from 'viem';
import type { Logger } from 'pino';
import { startProgress } from '../core/log/index.ts';
import { trainLocal, type Dataset, type ModelSpec } from '../core/ml/index.ts';
import { encodeDelta, errorFeedbackStart, type Checkpoint, type CodecId } from '../core/tensor/index.ts';

export interface TrainerOptions {
  /** This node's shard of the training split. */
  shard: Dataset;
  innerSteps: number;
  batchSize: number;
  learningRate: number;
  codec: CodecId;
  /** topk only: fraction of coordinates sent each round. */
  topkFraction: number;
  /** Seeds batch order together with the node key and round, so a node's update is reproducible. */
  seed: number;
  nodeKey: Hex;
  logger: Logger;
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
  /** Wall time of local training, milliseconds. */
  trainMs: number;
}

/**
 * Trains the node's shard from a round's base model and compresses the pseudo-gradient.
 * Lossy codecs keep an error-feedback residual across rounds: what one round's payload did
 * not carry is added to the next round's delta, so nothing is lost for good, and local training
 * starts from base + residual so that those coordinates are not learned a second time.
 */
export class Trainer {
  private residual: Float32Array | undefined;
  private readonly options: TrainerOptions;

  constructor(options: TrainerOptions) {
    this.options = options;
  }

  async train(base: Checkpoint, round: number, signal?: AbortSignal): Promise<PreparedUpdate> {
    const { options } = this;
    const started = performance.now();
    const spec: ModelSpec = base.meta.model;
    const progress = startProgress({ label: `round ${round}`, total: options.innerSteps, logger: options.logger });
    if (this.residual !== undefined && this.residual.length !== base.params.length) this.residual = undefined;
    const result = await trainLocal({
      spec,
      params: errorFeedbackStart(base.params, this.residual),
      data: options.shard,
      config: { innerSteps: options.innerSteps, batchSize: options.batchSize, learningRate: options.learningRate, seed: `${options.seed}/${options.nodeKey.toLowerCase()}/${round}` },
      signal,
      onStep: (stepsDone, loss) => progress.update(stepsDone, { loss }),
    }).finally(() => progress.stop());
    const encoded = encodeDelta(options.codec, result.delta, {
      residual: options.codec === 'fp32' ? undefined : this.residual,
      k: options.codec === 'topk' ? options.topkFraction : undefined,
    });
    this.residual = encoded.residual;
    const trainMs = Math.round(performance.now() - started);
    options.logger.info(
      { round, samples: result.samples, trainLoss: result.trainLoss, codec: options.codec, payloadBytes: encoded.payload.length, trainMs },
      `trained round ${round}: loss ${result.trainLoss.toFixed(4)} on ${result.samples} samples in ${trainMs} ms`,
    );
    return { round, baseModelHash: base.modelHash, codec: options.codec, payload: encoded.payload, samples: result.samples, trainLoss: result.trainLoss, trainMs };
  }
}
