import { z } from 'zod';
import { backoffDelay } from '../time/index.ts';
import { RoundConfigError } from './errors.ts';

/** When a round closes, and how a failed commit is retried. All times in milliseconds. */
export const roundConfigSchema = z
  .object({
    /**
     * Updates a round waits for before it may close, while at least that many nodes count: the
     * quorum follows the active set down (see `minQuorum`).
     */
    quorum: z.number().int().positive().default(3),
    /**
     * Fewest updates a round ever closes with (capped at `quorum`). Slashed, exited, failed and
     * silent nodes stop counting, so the quorum drops towards this; and a round that waited
     * `maxWaitMs` closes with what it has if it has this many. 2 by default: one update alone
     * has nothing to be compared with (median-clip and Multi-Krum need others to find an outlier,
     * the copy check has nothing to copy from), so a lone key would move the model unchecked.
     */
    minQuorum: z.number().int().positive().default(2),
    /** From opening, how long a round takes commitments before its reveal opens (given quorum). */
    deadlineMs: z.number().int().positive().default(30_000),
    /**
     * Longest a round waits for a quorum of commitments: it then opens the reveal if it has at
     * least `minQuorum`, and is otherwise re-announced on the same model, keeping them.
     */
    maxWaitMs: z.number().int().positive().default(300_000),
    /** Open the reveal before the deadline once every live node has committed (and quorum is met). */
    closeWhenAllReported: z.boolean().default(true),
    /**
     * How long the reveal stays open at most: committed nodes send their updates within it. The
     * round closes earlier once every committed update arrived; nodes that committed and did not
     * reveal in time miss the round.
     */
    revealMs: z.number().int().positive().default(15_000),
    /** A node is live while its last heartbeat or update is at most this old; after that it is silent and stops counting towards the quorum. */
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

/** The smallest quorum: `minQuorum`, but never above `quorum`. */
export function quorumFloor(config: RoundConfig): number {
  return Math.min(config.minQuorum, config.quorum);
}

/** Delay before commit attempt `attempt + 1` after `attempt` (counting from 1) failed; no jitter, so replays are exact. */
export function commitRetryDelay(config: RoundConfig, attempt: number): number {
  return backoffDelay(attempt - 1, { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs });
}
