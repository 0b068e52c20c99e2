/** Loading data for a page: `useApi(url)` fetches, re-fetches when the URL changes, and exposes reload(). */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiProblem } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiProblem | undefined;
  loading: boolean;
  /** Fetch again (after a command, or on a poll); keeps showing the old data meanwhile. */
  reload: () => Promise<void>;
  /** Replace the data locally (a command answered with the new case). */
  set: (data: T) => void;
}

export function useApi<T>(url: string | undefined): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiProblem; loading: boolean }>({ loading: url !== undefined });
  const current = useRef(url);
  current.current = url;
  const reload = useCallback(async () => {
    if (!url) return;
    setState((s) => ({ ...s, loading: true }));
    try {
      const data = await api.get<T>(url);
      if (current.current === url) setState({ data, loading: false });
    } catch (err) {
      if (current.current === url) setState((s) => ({ data: s.data, error: err instanceof ApiProblem ? err : new ApiProblem({ status: 0, detail: String(err) }), loading: false }));
    }
  }, [url]);
  useEffect(() => {
    setState({ loading: url !== undefined });
    void reload();
  }, [url]);
  const set = useCallback((data: T) => setState({ data, loading: false }), []);
  return { data: state.data, error: state.error, loading: state.loading, reload, set };
}

/** Calls `tick` every `ms` while the tab is visible (live pages poll; hidden tabs do not). */
export function usePolling(tick: () => void, ms: number): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') saved.current();
    }, ms);
    return () => clearInterval(id);
  }, [ms]);
}

/** Sets the document title for a page ("ONB-12 · Case console"). */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Case console` : 'Case console';
  }, [title]);
}
