import * as tf from '@tensorflow/tfjs';
import { assertFinite, assertParameters } from '../tensor/index.ts';
import { ensureBackend } from './backend.ts';
import { fillBatch, inputSize, NUM_CLASSES, type Dataset } from './dataset.ts';
import { MlError, TrainingConfigError } from './errors.ts';
import { sharedModel } from './model.ts';
import { createStepper } from './stepper.ts';
import { SeededRandom, seededPermutation, type Seed } from './random.ts';
import { assertDatasetFits, inputShapeOf, layoutFor, resolveModelSpec, type ModelSpec, type ModelSpecLike } from './spec.ts';

export interface LocalTrainingConfig {
  /** H: optimizer steps to take. */
  readonly innerSteps: number;
  readonly batchSize: number;
  /** Adam learning rate. */
  readonly learningRate: number;
  /** Decoupled weight decay (AdamW): each step first shrinks the weights by learningRate × weightDecay. 0 when left out. */
  readonly weightDecay?: number;
  /** Seeds the batch order, so a peer's update is reproducible. */
  readonly seed: Seed;
}

export interface TrainLocalInput {
  readonly spec: ModelSpecLike;
  /** The global parameters the round starts from (not modified). */
  readonly params: Float32Array;
  /** The peer's shard. */
  readonly data: Dataset;
  readonly config: LocalTrainingConfig;
  readonly signal?: AbortSignal;
  /** Called after each optimizer step with the steps done so far and that step's loss (for progress bars). */
  readonly onStep?: (stepsDone: number, loss: number) => void;
}

export interface LocalTrainingResult {
  /** The pseudo-gradient: local parameters minus global parameters, in layout order. */
  readonly delta: Float32Array;
  /** Mean training loss over the steps taken. */
  readonly trainLoss: number;
  /** Examples processed (steps × batch size, an example counted each time it is seen). */
  readonly samples: number;
}

export interface EvaluateInput {
  readonly spec: ModelSpecLike;
  readonly params: Float32Array;
  readonly data: Dataset;
  /** Evaluate only the first `limit` examples (deterministic, for quick scoring). */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

export interface Evaluation {
  /** Mean softmax cross-entropy. */
  readonly loss: number;
  /** Fraction of examples classified correctly. */
  readonly accuracy: number;
  readonly examples: number;
}

/** Long loops hand the event loop back this often, so gossip and timers in the same process keep running. */
const YIELD_EVERY_MS = 25;
const EVALUATION_BATCH = 1000;

/** The checked pieces of a training request that both the in-thread and the worker trainers need. */
export interface ValidatedTraining {
  readonly spec: ModelSpec;
  /** The batch size, capped at the shard size. */
  readonly batch: number;
}

/** Refuses empty shards and nonsensical steps, batch sizes or learning rates, with the value. */
export function validateTraining(input: TrainLocalInput): ValidatedTraining {
  const spec = resolveModelSpec(input.spec);
  const { innerSteps, batchSize, learningRate, weightDecay = 0 } = input.config;
  assertDatasetFits(spec, input.data, 'training shard');
  if (input.data.size === 0) throw new TrainingConfigError('the training shard is empty; this node has no examples to train on', 0);
  if (!Number.isInteger(innerSteps) || innerSteps < 1) throw new TrainingConfigError(`innerSteps must be a positive integer, got ${innerSteps}`, innerSteps);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TrainingConfigError(`batchSize must be a positive integer, got ${batchSize}`, batchSize);
  if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
    throw new TrainingConfigError(`learningRate must be a positive number, got ${learningRate}`, learningRate);
  }
  if (!(weightDecay >= 0 && learningRate * weightDecay < 1)) {
    throw new TrainingConfigError(`weightDecay must be a number ≥ 0 with learningRate × weightDecay below 1, got ${weightDecay}`, weightDecay);
  }
  assertParameters(layoutFor(spec), input.params, 'global parameters');
  return { spec, batch: Math.min(batchSize, input.data.size) };
}

/** local − global, refusing a diverged (non-finite) result. */
export function trainingResult(local: Float32Array, global: Float32Array, lossSum: number, steps: number, batch: number): LocalTrainingResult {
  const delta = new Float32Array(local.length);
  for (let i = 0; i < local.length; i++) delta[i] = local[i] - global[i];
  const trainLoss = lossSum / steps;
  try {
    assertFinite(delta, 'local update');
  } catch (error) {
    throw new MlError('TRAINING_DIVERGED', `local training diverged (mean loss ${trainLoss}); lower the learning rate`, trainLoss, { cause: error });
  }
  return { delta, trainLoss, samples: steps * batch };
}

/**
 * H steps of Adam (AdamW with a weight decay) from the global parameters on batches drawn from the
 * shard in a seeded order (a fresh shuffle per pass). Adam's state starts fresh each round, as in
 * DiLoCo's inner loop.
 */
export async function trainLocal(input: TrainLocalInput): Promise<LocalTrainingResult> {
  const { spec, batch } = validateTraining(input);
  await ensureBackend();
  const stepper = await createStepper(spec, input.params, batch, input.config.learningRate, input.config.weightDecay);
  const sampler = new BatchSampler(input.data.size, input.config.seed);
  const indices = new Uint32Array(batch);
  let lossSum = 0;
  try {
    let lastYield = performance.now();
    for (let step = 0; step < input.config.innerSteps; step++) {
      sampler.fill(indices);
      fillBatch(input.data, indices, stepper.pixels, stepper.labels);
      const loss = stepper.step();
      lossSum += loss;
      input.onStep?.(step + 1, loss);
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop(input.signal);
        lastYield = performance.now();
      }
    }
    return trainingResult(stepper.params(), input.params, lossSum, input.config.innerSteps, batch);
  } finally {
    stepper.dispose();
  }
}

/** Loss and accuracy of `params` on `data` (or its first `limit` examples). */
export async function evaluate(input: EvaluateInput): Promise<Evaluation> {
  const spec = resolveModelSpec(input.spec);
  assertDatasetFits(spec, input.data, 'evaluation data');
  const pixelsPerExample = inputSize(inputShapeOf(spec));
  const limit = input.limit ?? input.data.size;
  if (!Number.isInteger(limit) || limit < 1) throw new TrainingConfigError(`evaluation limit must be a positive integer, got ${limit}`, limit);
  const examples = Math.min(limit, input.data.size);
  if (examples === 0) throw new TrainingConfigError('the evaluation data is empty', 0);
  await ensureBackend();
  const model = sharedModel(spec);
  model.setParams(input.params);
  let lossSum = 0;
  let correct = 0;
  let lastYield = performance.now();
  const rowsPerBatch = Math.min(EVALUATION_BATCH, examples);
  const pixels = new Float32Array(rowsPerBatch * pixelsPerExample);
  const labels = new Int32Array(rowsPerBatch);
  for (let start = 0; start < examples; start += EVALUATION_BATCH) {
    const rows = Math.min(EVALUATION_BATCH, examples - start);
    fillBatch(input.data, Uint32Array.from({ length: rows }, (_, i) => start + i), pixels, labels);
    const [batchLoss, batchCorrect] = tf.tidy(() => {
      const x = tf.tensor2d(pixels.subarray(0, rows * pixelsPerExample), [rows, pixelsPerExample]);
      const y = tf.tensor1d(labels.subarray(0, rows), 'int32');
      const logits = model.logits(x);
      const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(y, NUM_CLASSES), logits, undefined, undefined, tf.Reduction.SUM);
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32'));
      return [loss.dataSync()[0], hits.dataSync()[0]];
    });
    lossSum += batchLoss;
    correct += batchCorrect;
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop(input.signal);
      lastYield = performance.now();
    }
  }
  return { loss: lossSum / examples, accuracy: correct / examples, examples };
}

/** Walks seeded permutations of the shard, reshuffling after each full pass. */
export class BatchSampler {
  private readonly random: SeededRandom;
  private order: Uint32Array;
  private position = 0;

  constructor(
    private readonly size: number,
    seed: Seed,
  ) {
    this.random = new SeededRandom(seed, 'train/batches');
    this.order = seededPermutation(size, this.random);
  }

  fill(indices: Uint32Array): void {
    for (let i = 0; i < indices.length; i++) {
      if (this.position === this.size) {
        this.order = seededPermutation(this.size, this.random);
        this.position = 0;
      }
      indices[i] = this.order[this.position++];
    }
  }
}

async function yieldToEventLoop(signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  await new Promise<void>((resolve) => setImmediate(resolve));
  signal?.throwIfAborted();
}
