/** Exponential backoff with full jitter, for calls to an RPC endpoint that may be down. */
export interface BackoffOptions {
  /** First delay. */
  baseMs: number;
  /** Longest delay between two attempts. */
  maxMs: number;
}

/** The delay before attempt `attempt + 1` (attempt counts from 0): up to base·2^attempt, capped. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `fn` until it succeeds, waiting with backoff between attempts, for as long as
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
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
