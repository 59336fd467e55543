// core/time: the clock port every runner takes, abortable sleep, and the one backoff policy
// (coordinator commits and slashes, daemon reconciliation) so retries cannot drift apart.
export { backoffDelay, retryWithBackoff, type BackoffOptions } from './backoff.ts';
export { sleep, systemClock, type Clock } from './clock.ts';
