/**
 * Entry point of a data-parallel training worker (started by DataParallelTrainer, never imported
 * elsewhere): it runs its own tfjs backend and trains its share of each batch in lock-step with
 * the other workers, exchanging gradients through shared memory.
 */
import { parentPort } from 'node:worker_threads';
import { AllReduceMember, BrokenBarrierError, type AllReduceBuffers } from './allreduce.ts';
import { initBackend, type BackendName } from './backend.ts';
import { fillBatch, type Dataset, type InputShape } from './dataset.ts';
import type { ModelSpec } from './spec.ts';
import { createStepper } from './stepper.ts';
import { BatchSampler, type LocalTrainingConfig } from './train.ts';

export type WorkerRequest =
  | { type: 'init'; backend?: BackendName }
  | { type: 'data'; dataId: number; images: Uint8Array; labels: Uint8Array; size: number; shape: InputShape }
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
    datasets.set(request.dataId, { images: request.images, labels: request.labels, size: request.size, shape: request.shape });
  } else if (request.type === 'forget') {
    datasets.delete(request.dataId);
  } else {
    await train(request);
  }
}

async function train(job: Extract<WorkerRequest, { type: 'train' }>): Promise<void> {
  const data = datasets.get(job.dataId);
  if (!data) throw new Error(`worker has no dataset ${job.dataId}`);
  const member = new AllReduceMember(job.buffers, job.rank, job.workers, job.params.length);
  // Worker r takes rows [from, to) of every global batch, so the workers together see exactly
  // the batches a single-threaded trainer with the same seed would.
  const from = Math.floor((job.rank * job.batch) / job.workers);
  const to = Math.floor(((job.rank + 1) * job.batch) / job.workers);
  const weight = (to - from) / job.batch;
  const stepper = await createStepper(job.spec, job.params, to - from, job.config.learningRate, job.config.weightDecay);
  const sampler = new BatchSampler(data.size, job.config.seed);
  const indices = new Uint32Array(job.batch);
  const total = new Float32Array(job.params.length);
  let lossSum = 0;
  try {
    for (let step = 0; step < job.config.innerSteps; step++) {
      sampler.fill(indices);
      fillBatch(data, indices.subarray(from, to), stepper.pixels, stepper.labels);
      const weightedLoss = stepper.gradient(member.slot(step), weight) * weight;
      const loss = member.exchange(step, weightedLoss, total);
      if (loss === undefined) {
        reply({ type: 'aborted', jobId: job.jobId });
        return;
      }
      lossSum += loss;
      stepper.apply(total);
    }
  } catch (error) {
    if (error instanceof BrokenBarrierError) {
      reply({ type: 'aborted', jobId: job.jobId });
      return;
    }
    throw error;
  } finally {
    stepper.dispose();
  }
  if (job.rank === 0) {
    const params = stepper.params();
    reply({ type: 'trained', jobId: job.jobId, lossSum, params }, [params.buffer as ArrayBuffer]);
  } else {
    reply({ type: 'trained', jobId: job.jobId, lossSum });
  }
}
