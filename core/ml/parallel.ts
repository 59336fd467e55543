import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { layoutSize } from '../tensor/index.ts';
import { breakBarrier, createAllReduceBuffers, requestAbort } from './allreduce.ts';
import type { BackendName } from './backend.ts';
import { datasetShape, type Dataset } from './dataset.ts';
import { BackendError, MlError } from './errors.ts';
import type { WorkerReply, WorkerRequest } from './parallel-worker.ts';
import { layoutFor } from './spec.ts';
import { trainingResult, validateTraining, type LocalTrainingResult, type TrainLocalInput } from './train.ts';

export interface DataParallelOptions {
  /** Worker threads, each with its own backend (default: the machine's available parallelism). */
  readonly workers?: number;
  /** Backend for the workers (default: the same auto-selection as initBackend). */
  readonly backend?: BackendName;
  readonly signal?: AbortSignal;
}

/** The TypeScript loader, for worker threads of a process that registered it programmatically. */
const TSX_LOADER = import.meta.resolve('tsx');

/**
 * Synchronous data-parallel training across worker threads: every step, each worker computes the
 * gradient of its share of the batch, the workers average them through shared memory and apply the
 * same Adam update, so the result is one model trained with the full batch — using every core.
 * Same contract as trainLocal (seeded, same batches); the main thread stays free while it runs.
 * Train one job at a time; `close()` stops the workers.
 */
export class DataParallelTrainer {
  readonly workers: number;
  readonly backend: string;
  private readonly threads: Worker[];
  private readonly datasetIds = new WeakMap<Dataset, number>();
  private nextDatasetId = 1;
  private nextJobId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;

  private constructor(threads: Worker[], backend: string) {
    this.threads = threads;
    this.workers = threads.length;
    this.backend = backend;
  }

  /** Starts the workers and their backends. */
  static async create(options: DataParallelOptions = {}): Promise<DataParallelTrainer> {
    const count = options.workers ?? availableParallelism();
    if (!Number.isInteger(count) || count < 1 || count > 64) throw new MlError('TRAINING_CONFIG', `workers must be an integer in [1, 64], got ${count}`, count);
    const execArgv = process.execArgv.some((arg) => arg.includes('tsx')) ? process.execArgv : [...process.execArgv, '--import', TSX_LOADER];
    const threads = Array.from({ length: count }, () => new Worker(new URL('./parallel-worker.ts', import.meta.url), { execArgv }));
    try {
      const ready = await Promise.all(
        threads.map((thread) => {
          const reply = nextReply(thread, options.signal);
          send(thread, { type: 'init', backend: options.backend });
          return reply;
        }),
      );
      const failed = ready.find((message) => message.type !== 'ready');
      if (failed?.type === 'failed') throw new BackendError(`a training worker could not start its backend: ${failed.message}`, options.backend);
      return new DataParallelTrainer(threads, ready[0].type === 'ready' ? ready[0].backend : 'unknown');
    } catch (error) {
      await Promise.all(threads.map((thread) => thread.terminate()));
      throw error;
    }
  }

  /** trainLocal on the workers: returns local − global, the mean loss and the samples used. */
  trainLocal(input: TrainLocalInput): Promise<LocalTrainingResult> {
    const run = this.queue.then(() => this.run(input));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Stops the workers; the trainer cannot be used afterwards. */
  async close(): Promise<void> {
    this.failure ??= new MlError('TRAINER_CLOSED', 'this DataParallelTrainer was closed; create a new one', undefined);
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }

  private async run(input: TrainLocalInput): Promise<LocalTrainingResult> {
    if (this.failure) throw this.failure;
    input.signal?.throwIfAborted();
    const { spec, batch } = validateTraining(input);
    if (batch < this.workers) throw new MlError('TRAINING_CONFIG', `batch ${batch} is smaller than the ${this.workers} workers; use trainLocal`, batch);
    const dataId = this.shareDataset(input.data);
    const jobId = this.nextJobId++;
    const buffers = createAllReduceBuffers(this.workers, layoutSize(layoutFor(spec)));
    const replies = this.threads.map((thread) => nextReply(thread));
    const onAbort = (): void => requestAbort(buffers);
    input.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.threads.forEach((thread, rank) =>
        send(thread, { type: 'train', jobId, spec, params: input.params, dataId, config: input.config, batch, rank, workers: this.workers, buffers }),
      );
      const results = await Promise.all(
        replies.map((reply) =>
          reply.then((message) => {
            if (message.type === 'failed') breakBarrier(buffers);
            return message;
          }),
        ),
      );
      const failed = results.find((message) => message.type === 'failed');
      if (failed?.type === 'failed') throw new MlError(failed.code ?? 'TRAINING_WORKER', `a training worker failed: ${failed.message}`, jobId);
      if (results.some((message) => message.type === 'aborted')) throw input.signal?.reason ?? new MlError('TRAINING_ABORTED', 'training was aborted', jobId);
      const lead = results[0];
      if (lead.type !== 'trained' || !lead.params) throw new MlError('TRAINING_WORKER', 'the lead training worker returned no parameters', jobId);
      return trainingResult(lead.params, input.params, lead.lossSum, input.config.innerSteps, batch);
    } finally {
      input.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Copies a dataset once into shared memory that every worker reads without copying. */
  private shareDataset(data: Dataset): number {
    const known = this.datasetIds.get(data);
    if (known !== undefined) return known;
    const dataId = this.nextDatasetId++;
    const images = new Uint8Array(new SharedArrayBuffer(data.images.length));
    images.set(data.images);
    const labels = new Uint8Array(new SharedArrayBuffer(data.labels.length));
    labels.set(data.labels);
    for (const thread of this.threads) send(thread, { type: 'data', dataId, images, labels, size: data.size, shape: datasetShape(data) });
    this.datasetIds.set(data, dataId);
    return dataId;
  }
}

function send(thread: Worker, request: WorkerRequest): void {
  thread.postMessage(request);
}

/** The worker's next reply; an exit or error of the thread becomes a 'failed' reply. */
function nextReply(thread: Worker, signal?: AbortSignal): Promise<WorkerReply> {
  return new Promise((resolve) => {
    const cleanup = (): void => {
      thread.off('message', onMessage);
      thread.off('error', onError);
      thread.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
    };
    const onMessage = (message: WorkerReply): void => {
      cleanup();
      resolve(message);
    };
    const onError = (error: Error): void => {
      cleanup();
      resolve({ type: 'failed', message: error.message });
    };
    const onExit = (code: number): void => {
      cleanup();
      resolve({ type: 'failed', message: `worker exited with code ${code}` });
    };
    const onAbort = (): void => {
      cleanup();
      resolve({ type: 'failed', message: `aborted: ${String(signal?.reason)}` });
    };
    thread.on('message', onMessage);
    thread.on('error', onError);
    thread.on('exit', onExit);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
