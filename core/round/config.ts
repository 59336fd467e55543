import { z } from 'zod';
import { backoffDelay } from '../time/index.ts';
import { RoundConfigError } from './errors.ts';

/** When a round closes, and how a failed commit is retried. All times in milliseconds. */
export const roundConfigSchema = z
  .object({
    /** Fewest accepted updates a round needs before it may close. */
    quorum: z.number().int().positive().default(3),
    /** From opening, how long a round collects before it closes (given quorum). */
    deadlineMs: z.number().int().positive().default(30_000),
    /** Longest a round waits for quorum; it is then re-announced on the same model, keeping its updates. */
    maxWaitMs: z.number().int().positive().default(300_000),
    /** Close before the deadline once every live node has sent its update (and quorum is met). */
    closeWhenAllReported: z.boolean().default(true),
    /** A node is live while its last heartbeat or update is at most this old. */
    livenessMs: z.number().int().positive().default(60_000),
    /** First commit retry after this long, doubling up to retryMaxMs. */
    retryBaseMs: z.number().int().positive().default(500),
    retryMaxMs: z.number().int().positive().default(15_000),
  })
  .strict()
  .refine((config) => config.maxWaitMs >= config.deadlineMs, { message: 'maxWaitMs must be at least deadlineMs', path: ['maxWaitMs'] })
  .refine((config) => config.retryMaxMs >= config.retryBaseMs, { message: 'retryMaxMs must be at least retryBaseMs', path: ['retryMaxMs'] });

export type RoundConfig = z.output<typeof roundConfigSchema>;
export type RoundConfigInput = z.input<typeof roundConfigSchema>;

/** Validates a round configuration, filling in defaults. */
export function parseRoundConfig(input: unknown): RoundConfig {
  const parsed = roundConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(config)'}: ${issue.message}`).join('; ');
    throw new RoundConfigError(`invalid round configuration ${JSON.stringify(input)}: ${issues}`, input);
  }
  return parsed.data;
}

/** Delay before commit attempt `attempt + 1` after `attempt` (counting from 1) failed; no jitter, so replays are exact. */
export function commitRetryDelay(config: RoundConfig, attempt: number): number {
  return backoffDelay(attempt - 1, { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs });
}
