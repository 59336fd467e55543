import { z } from 'zod';
import { AggregationConfigError } from './errors.ts';

const warmupRounds = z.number().int().min(0).max(1_000_000).default(0);
/** The lowest rate the decay reaches, as a fraction of the peak rate; the rate stays there afterwards. */
const floor = z.number().min(0).max(1);

/**
 * A per-round learning-rate schedule, as a multiple of a peak rate: a linear warm-up over
 * `warmupRounds` rounds (round r of them runs at r / warmupRounds of the peak), then
 * - `constant`: the peak for ever;
 * - `cosine`: half a cosine from the peak down to `floor` × peak over `decayRounds` rounds, then
 *   the floor for ever (a network runs for more rounds than any horizon set in advance);
 * - `step`: the peak times `factor` every `everyRounds` rounds, never below `floor` × peak.
 */
export const learningRateScheduleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('constant'), warmupRounds }).strict(),
  z
    .object({
      kind: z.literal('cosine'),
      warmupRounds,
      decayRounds: z.number().int().positive().max(1_000_000),
      floor: floor.default(0.1),
    })
    .strict(),
  z
    .object({
      kind: z.literal('step'),
      warmupRounds,
      everyRounds: z.number().int().positive().max(1_000_000),
      factor: z.number().gt(0).lt(1),
      floor: floor.default(0.1),
    })
    .strict(),
]);

export type LearningRateSchedule = z.output<typeof learningRateScheduleSchema>;
export type LearningRateScheduleInput = z.input<typeof learningRateScheduleSchema>;

/** What a schedule recorded before schedules existed means: the peak in every round. */
export const CONSTANT_SCHEDULE: LearningRateSchedule = { kind: 'constant', warmupRounds: 0 };

/**
 * The rate of `round` (1 is the first round after genesis) under `schedule` with peak `peak`.
 * Auditors recompute it to replay a round bit for bit, so it is rounded to 12 significant digits:
 * V8's Math.cos is the same fdlibm code on every platform, and the rounding keeps a rate that a
 * different libm might give in its last bit from reaching the outer step.
 */
export function scheduledRate(peak: number, schedule: LearningRateSchedule, round: number): number {
  if (!(Number.isFinite(peak) && peak > 0)) throw new AggregationConfigError(`peak learning rate ${peak} must be a positive number`, peak);
  if (!(Number.isInteger(round) && round >= 1)) throw new AggregationConfigError(`a scheduled round must be a whole number from 1 (the first round after genesis), got ${round}`, round);
  const { warmupRounds } = schedule;
  if (round <= warmupRounds) return Number(((peak * round) / warmupRounds).toPrecision(12));
  const decayed = round - warmupRounds;
  switch (schedule.kind) {
    case 'constant':
      return peak;
    case 'cosine': {
      const progress = Math.min(decayed, schedule.decayRounds) / schedule.decayRounds;
      const multiple = schedule.floor + ((1 - schedule.floor) * (1 + Math.cos(Math.PI * progress))) / 2;
      return Number((peak * multiple).toPrecision(12));
    }
    case 'step': {
      const multiple = Math.max(schedule.factor ** Math.floor(decayed / schedule.everyRounds), schedule.floor);
      return Number((peak * multiple).toPrecision(12));
    }
  }
}
