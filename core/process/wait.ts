import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningChild } from './group.ts';
import { ProcessError } from './errors.ts';

export interface WaitOptions {
  timeoutMs: number;
  /** Give up as soon as this child exits: it was what would have made `check` true. */
  child?: RunningChild;
  signal?: AbortSignal;
  pollMs?: number;
  /** Appended to a failure message, e.g. how to see the children's logs. */
  hint?: string;
}

/** Polls `check` until it returns a value, the child dies, the signal aborts or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const hint = options.hint === undefined ? '' : `; ${options.hint}`;
  let exited: number | string | undefined;
  void options.child?.exited.then((code) => {
    exited = code;
  });
  for (;;) {
    options.signal?.throwIfAborted();
    const value = await check();
    if (value !== undefined) return value;
    if (exited !== undefined) throw new ProcessError('CHILD_EXITED', `${options.child?.name} exited (${exited}) while waiting for ${what}${hint}`, { value: exited });
    if (Date.now() > deadline) throw new ProcessError('WAIT_TIMEOUT', `timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}${hint}`, { value: options.timeoutMs });
    // An abort ends the sleep early; the caller gets the signal's own reason, not a generic AbortError.
    await sleep(options.pollMs ?? 200, undefined, { signal: options.signal }).catch(() => options.signal?.throwIfAborted());
  }
}
