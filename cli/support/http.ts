import { GradnetError } from '../../core/errors.ts';

/** GET a JSON document; a network error or a non-2xx status becomes a GradnetError naming the URL. */
export async function fetchJson(url: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<unknown> {
  const signals = [AbortSignal.timeout(options.timeoutMs ?? 10_000)];
  if (options.signal) signals.push(options.signal);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.any(signals) });
  } catch (error) {
    throw new GradnetError('HTTP_UNREACHABLE', `${url} did not answer (${(error as Error).message}); check the URL and that the coordinator is running`, { cause: error });
  }
  const body = await response.text();
  if (!response.ok) {
    let reason = body;
    try {
      reason = (JSON.parse(body) as { error?: string }).error ?? body;
    } catch {
      // not JSON: show the text as it is
    }
    throw new GradnetError('HTTP_FAILED', `${url} answered ${response.status}: ${reason}`);
  }
  return JSON.parse(body) as unknown;
}
