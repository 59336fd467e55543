import { GradnetError } from '../../core/errors.ts';
import type { RunningChild } from './processes.ts';

/** Polls `check` until it returns a value, the child dies, the signal aborts or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, options: { timeoutMs: number; child?: RunningChild; signal?: AbortSignal; pollMs?: number }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let exited: number | string | undefined;
  void options.child?.exited.then((code) => {
    exited = code;
  });
  for (;;) {
    options.signal?.throwIfAborted();
    const value = await check();
    if (value !== undefined) return value;
    if (exited !== undefined) throw new GradnetError('DEMO_CHILD_EXITED', `${options.child?.name} exited (${exited}) while the demo waited for ${what}; run with --verbose to see its log`);
    if (Date.now() > deadline) throw new GradnetError('DEMO_TIMEOUT', `timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}; run with --verbose to see the children's logs`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
  }
}
