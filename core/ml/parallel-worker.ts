/**
 * Entry point of a data-parallel training worker (started by DataParallelTrainer, never imported
 * elsewhere): it runs its own tfjs backend and trains its share of each batch in lock-step with
 * the other workers, exchanging gradients through shared memory.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { placeLayout } from '../tensor/index.ts';
import { AllReduceMember, BrokenBarrierError, type AllReduceBuffers } from './allreduce.ts';
import { initBackend, type BackendName } from './backend.ts';
import { fillBatch, IMAGE_PIXELS, type Dataset } from './dataset.ts';
import { sharedModel } from './model.ts';
import { layoutFor, type ModelSpec } from './spec.ts';
import { BatchSampler, type LocalTrainingConfig } from './train.ts';

export type WorkerRequest =
  | { type: 'init'; backend?: BackendName }
  | { type: 'data'; dataId: number; images: Uint8Array; labels: Uint8Array; size: number }
  | { type: 'forget'; dataId: number }
  | {
      type: 'train';
      jobId: number;
      spec: ModelSpec;
      params: Float32Array;
      dataId: number;
      config: LocalTrainingConfig;
      batch: number;
      rank: number;
      workers: number;
      buffers: AllReduceBuffers;
    };

export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'trained'; jobId: number; lossSum: number; params?: Float32Array }
  | { type: 'aborted'; jobId: number }
  | { type: 'failed'; jobId?: number; message: string; code?: string };

const port = parentPort;
const datasets = new Map<number, Dataset>();

port?.on('message', (request: WorkerRequest) => {
  void handle(request).catch((error: unknown) => {
    const jobId = request.type === 'train' ? request.jobId : undefined;
    const code = (error as { code?: string }).code;
    reply({ type: 'failed', jobId, message: error instanceof Error ? error.message : String(error), code });
  });
});

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

async function handle(request: WorkerRequest): Promise<void> {
  if (request.type === 'init') {
    const choice = await initBackend(request.backend);
    reply({ type: 'ready', backend: choice.backend });
  } else if (request.type === 'data') {
    datasets.set(request.dataId, { images: request.images, labels: request.labels, size: request.size });
  } else if (request.type === 'forget') {
    datasets.delete(request.dataId);
  } else {
    train(request);
  }
}

function train(job: Extract<WorkerRequest, { type: 'train' }>): void {
  const data = datasets.get(job.dataId);
  if (!data) throw new Error(`worker has no dataset ${job.dataId}`);
  const model = sharedModel(job.spec);
  model.setParams(job.params);
  const placed = placeLayout(layoutFor(job.spec));
  const member = new AllReduceMember(job.buffers, job.rank, job.workers, job.params.length);
  // Worker r takes rows [from, to) of every global batch, so the workers together see exactly
  // the batches a single-threaded trainer with the same seed would.
  const from = Math.floor((job.rank * job.batch) / job.workers);
  const to = Math.floor(((job.rank + 1) * job.batch) / job.workers);
  const rows = to - from;
  const sampler = new BatchSampler(data.size, job.config.seed);
  const indices = new Uint32Array(job.batch);
  const pixels = new Float32Array(rows * IMAGE_PIXELS);
  const labels = new Int32Array(rows);
  const total = new Float32Array(job.params.length);
  const optimizer = tf.train.adam(job.config.learningRate);
  let lossSum = 0;
  try {
    for (let step = 0; step < job.config.innerSteps; step++) {
      sampler.fill(indices);
      fillBatch(data, indices.subarray(from, to), pixels, labels);
      const weight = rows / job.batch;
      const slot = member.slot(step);
      const weightedLoss = tf.tidy(() => {
        const x = tf.tensor2d(pixels, [rows, IMAGE_PIXELS]);
        const y = tf.tensor1d(labels, 'int32');
        const { value, grads } = tf.variableGrads(() => model.loss(x, y), model.variables);
        model.variables.forEach((variable, i) => {
          const gradient = grads[variable.name].dataSync();
          const offset = placed[i].offset;
          for (let j = 0; j < gradient.length; j++) slot[offset + j] = gradient[j] * weight;
        });
        return value.dataSync()[0] * weight;
      });
      const loss = member.exchange(step, weightedLoss, total);
      if (loss === undefined) {
        reply({ type: 'aborted', jobId: job.jobId });
        return;
      }
      lossSum += loss;
      tf.tidy(() => {
        optimizer.applyGradients(
          model.variables.map((variable, i) => ({
            name: variable.name,
            tensor: tf.tensor(total.slice(placed[i].offset, placed[i].offset + placed[i].size), variable.shape),
          })),
        );
      });
    }
  } catch (error) {
    if (error instanceof BrokenBarrierError) {
      reply({ type: 'aborted', jobId: job.jobId });
      return;
    }
    throw error;
  } finally {
    optimizer.dispose();
  }
  if (job.rank === 0) {
    const params = model.getParams();
    reply({ type: 'trained', jobId: job.jobId, lossSum, params }, [params.buffer as ArrayBuffer]);
  } else {
    reply({ type: 'trained', jobId: job.jobId, lossSum });
  }
}
