import { sleep } from './clock.ts';

/** Exponential backoff for calls to an RPC endpoint or a peer that may be down. */
export interface BackoffOptions {
  /** First delay. */
  baseMs: number;
  /** Longest delay between two attempts. */
  maxMs: number;
}

/**
 * The delay after failed attempt `attempt` (counting from 0): base·2^attempt, capped at maxMs.
 * With `random`, equal jitter: half the delay is fixed and half is drawn, so callers that failed
 * together spread out but never retry sooner than half the backoff. Without it, deterministic
 * (the round state machine's commit retries must replay exactly).
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random?: () => number): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return random === undefined ? ceiling : Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Calls `fn` until it succeeds, waiting with jittered backoff between attempts, for as long as
 * `isRetryable` says the failure is transient. Aborting the signal stops the waiting.
 */
export async function retryWithBackoff<T>(
  fn: (attempt: number) => Promise<T>,
  options: BackoffOptions & {
    signal?: AbortSignal;
    isRetryable: (error: unknown) => boolean;
    onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  },
): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (options.signal?.aborted || !options.isRetryable(error)) throw error;
      const delay = backoffDelay(attempt, options, Math.random);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
