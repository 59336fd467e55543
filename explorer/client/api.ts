import { useEffect, useState } from 'preact/hooks';

/** A view's data: loading, loaded (kept while the next version loads), or failed with the server's message. */
export type Loaded<T> = { state: 'loading' } | { state: 'ready'; value: T } | { state: 'error'; message: string; last?: T };

/** GETs one of the explorer's JSON endpoints (relative to the page, so any mount point works). */
export async function getJson<T>(path: string, signal: AbortSignal): Promise<T> {
  const response = await fetch(`explorer/api/${path}`, { signal, headers: { accept: 'application/json' } });
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

/** Loads `path` again whenever `version` (the server's change counter) or the path changes. */
export function useData<T>(path: string, version: number): Loaded<T> {
  const [data, setData] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    getJson<T>(path, controller.signal).then(
      (value) => setData({ state: 'ready', value }),
      (error: Error) => {
        if (!controller.signal.aborted) setData((previous) => ({ state: 'error', message: error.message, last: previous.state === 'ready' ? previous.value : undefined }));
      },
    );
    return () => controller.abort();
  }, [path, version]);
  return data;
}

/**
 * The server's change counter, pushed over server-sent events. EventSource reconnects by
 * itself; `connected` tells the page whether it is live.
 */
export function useLiveVersion(): { version: number; connected: boolean } {
  const [live, setLive] = useState({ version: 0, connected: false });
  useEffect(() => {
    const events = new EventSource('explorer/events');
    events.onmessage = (event: MessageEvent<string>) => setLive({ version: (JSON.parse(event.data) as { version: number }).version, connected: true });
    events.onerror = () => setLive((previous) => ({ ...previous, connected: false }));
    return () => events.close();
  }, []);
  return live;
}

/** The current hash route, e.g. ['rounds', '12'] for #/rounds/12. */
export function useRoute(): string[] {
  const read = (): string[] => location.hash.replace(/^#\/?/, '').split('/').filter((part) => part.length > 0).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = (): void => setRoute(read());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
