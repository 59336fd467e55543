/**
 * Shared memory for data-parallel steps: each worker writes its gradient and loss into its own
 * slot, all meet at a barrier, then each sums every slot itself (same order everywhere, so all
 * workers apply bit-identical updates and their models never drift apart). Slots alternate between
 * two banks by step parity, so one barrier per step suffices: a worker can only overwrite a bank
 * after passing the next barrier, which needs every other worker to have finished reading it.
 */
export interface AllReduceBuffers {
  /** [count, generation, abort requested, broken]. */
  readonly control: SharedArrayBuffer;
  /** Float32 [bank][worker][parameter]. */
  readonly gradients: SharedArrayBuffer;
  /** Float64 [bank][worker]: each worker's loss weighted by its share of the batch. */
  readonly losses: SharedArrayBuffer;
  /** Int32 [bank][worker]: 1 when that worker saw an abort request before this step's barrier. */
  readonly votes: SharedArrayBuffer;
}

const COUNT = 0;
const GENERATION = 1;
const ABORT = 2;
const BROKEN = 3;
const BANKS = 2;

export function createAllReduceBuffers(workers: number, parameters: number): AllReduceBuffers {
  return {
    control: new SharedArrayBuffer(4 * Int32Array.BYTES_PER_ELEMENT),
    gradients: new SharedArrayBuffer(BANKS * workers * parameters * Float32Array.BYTES_PER_ELEMENT),
    losses: new SharedArrayBuffer(BANKS * workers * Float64Array.BYTES_PER_ELEMENT),
    votes: new SharedArrayBuffer(BANKS * workers * Int32Array.BYTES_PER_ELEMENT),
  };
}

/** Asks the workers to stop after the step they are in (they all stop at the same step). */
export function requestAbort(buffers: AllReduceBuffers): void {
  Atomics.store(new Int32Array(buffers.control), ABORT, 1);
}

/** Releases workers waiting for a peer that failed; they throw instead of waiting forever. */
export function breakBarrier(buffers: AllReduceBuffers): void {
  const control = new Int32Array(buffers.control);
  Atomics.store(control, BROKEN, 1);
  Atomics.add(control, GENERATION, 1);
  Atomics.notify(control, GENERATION);
}

export class BrokenBarrierError extends Error {}

/** One worker's side of the exchange. */
export class AllReduceMember {
  private readonly control: Int32Array;
  private readonly gradients: Float32Array;
  private readonly losses: Float64Array;
  private readonly votes: Int32Array;

  constructor(
    buffers: AllReduceBuffers,
    private readonly rank: number,
    private readonly workers: number,
    private readonly parameters: number,
  ) {
    this.control = new Int32Array(buffers.control);
    this.gradients = new Float32Array(buffers.gradients);
    this.losses = new Float64Array(buffers.losses);
    this.votes = new Int32Array(buffers.votes);
  }

  /** This worker's gradient slot for `step`, to be filled before `exchange`. */
  slot(step: number): Float32Array {
    const start = ((step % BANKS) * this.workers + this.rank) * this.parameters;
    return this.gradients.subarray(start, start + this.parameters);
  }

  /**
   * Publishes this worker's weighted loss, waits for all, and returns the summed gradient (into
   * `total`) and loss — or undefined when any worker saw an abort request.
   */
  exchange(step: number, weightedLoss: number, total: Float32Array): number | undefined {
    const bank = step % BANKS;
    this.losses[bank * this.workers + this.rank] = weightedLoss;
    this.votes[bank * this.workers + this.rank] = Atomics.load(this.control, ABORT);
    this.barrier();
    let loss = 0;
    total.fill(0);
    for (let worker = 0; worker < this.workers; worker++) {
      if (this.votes[bank * this.workers + worker] !== 0) return undefined;
      loss += this.losses[bank * this.workers + worker];
      const start = (bank * this.workers + worker) * this.parameters;
      for (let i = 0; i < this.parameters; i++) total[i] += this.gradients[start + i];
    }
    return loss;
  }

  private barrier(): void {
    const generation = Atomics.load(this.control, GENERATION);
    if (Atomics.add(this.control, COUNT, 1) === this.workers - 1) {
      Atomics.store(this.control, COUNT, 0);
      Atomics.add(this.control, GENERATION, 1);
      Atomics.notify(this.control, GENERATION);
      return;
    }
    while (Atomics.load(this.control, GENERATION) === generation) Atomics.wait(this.control, GENERATION, generation, 1000);
    if (Atomics.load(this.control, BROKEN) !== 0) throw new BrokenBarrierError('another training worker failed');
  }
}
