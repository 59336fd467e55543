import { GradnetError } from '../../core/errors.ts';

/** A benchmark simulation was set up wrongly (bad sizes, unknown attack, …); the message says which value. */
export class SimulationError extends GradnetError {
  constructor(message: string, value: unknown) {
    super('BENCH_SIMULATION', message, { value });
  }
}
