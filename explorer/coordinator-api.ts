import { CoordinatorApiError } from './errors.ts';

const TIMEOUT_MS = 5_000;

/** The coordinator's read-only HTTP API (coordinator/http.ts), as the explorer reads it. */
export class CoordinatorApi {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  /** GET `path` as JSON; a refusal, an error status or silence past 5 s is a CoordinatorApiError. */
  async get<T>(path: string, signal?: AbortSignal): Promise<T> {
    const url = `${this.url}${path}`;
    const signals = [AbortSignal.timeout(TIMEOUT_MS), ...(signal ? [signal] : [])];
    let response: Response;
    try {
      response = await fetch(url, { signal: AbortSignal.any(signals), headers: { accept: 'application/json' } });
    } catch (cause) {
      signal?.throwIfAborted();
      throw new CoordinatorApiError(url, `no answer (${(cause as Error).message})`, { cause });
    }
    const text = await response.text();
    if (!response.ok) {
      let reason = text.trim();
      try {
        reason = (JSON.parse(text) as { error?: string }).error ?? reason;
      } catch {
        // not JSON: the text as it is
      }
      throw new CoordinatorApiError(url, `answered ${response.status}: ${reason}`, { status: response.status });
    }
    return JSON.parse(text) as T;
  }
}
