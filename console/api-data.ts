import { useEffect, useRef, useState } from "preact/hooks";
import { messageOf } from "./api.ts";
import { usePeriodicRefresh } from "./refresh.ts";

export interface ApiDataOptions {
  /** Read again every 5 s while the page is visible (usePeriodicRefresh); else only when `deps` change and on `refresh`. */
  periodic?: boolean;
  /** False: ask nothing (no question yet, or a screen the key may not read); what was shown stays. */
  enabled?: boolean;
  /** When `deps` change, show no data until the new answer (a new question whose old answer would mislead), not the last one. */
  clearOnChange?: boolean;
  /** The alert's text for a failed load; `messageOf` unless a screen says it better (a 404 as "nothing recorded"). */
  errorText?: (failure: unknown) => string;
}

export interface ApiData<T> {
  /** The last answer (kept while a refresh runs, and when one fails); null before the first. */
  data: T | null;
  /** The last load's failure as the screen shows it in its role="alert" paragraph; null after a success. */
  error: string | null;
  loading: boolean;
  refresh: () => Promise<void>;
  /** When the last load finished, failed or not. */
  refreshedAt: Date | null;
  /** For a screen's actions: an action's answer in place of the data, and its failure in the same alert. */
  setData: (data: T | null) => void;
  setError: (error: string | null) => void;
}

/**
 * A screen's data from the API: `load` runs now, again when `deps` change,
 * on `refresh` and, with `periodic`, every 5 s while the page is visible.
 * A success replaces the data and clears the error; a failure keeps the data
 * and says why. When `deps` change the old error goes (it answered another
 * question), and so do answers to it still on their way; an answer older than
 * one already shown is dropped, so a slow read cannot overwrite a newer one.
 *
 * @example
 * const { data: page, error, refresh } = useApiData(async () => ok(await api.GET("/v1/orders", { params: { query } })), [status, pages.cursor]);
 */
export function useApiData<T>(load: () => Promise<T>, deps: unknown[], options: ApiDataOptions = {}): ApiData<T> {
  const { periodic = false, enabled = true, clearOnChange = false, errorText = messageOf } = options;
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(0);
  const order = useRef({ started: 0, shown: 0 });

  // A new question: answers still on their way to the old one are not shown.
  useEffect(() => {
    order.current.shown = order.current.started;
    if (clearOnChange) setData(null);
    if (clearOnChange || enabled) setError(null);
  }, [...deps, enabled]);

  const { refresh, refreshedAt } = usePeriodicRefresh(
    async () => {
      if (!enabled) return;
      const at = ++order.current.started;
      const newest = () => {
        if (at <= order.current.shown) return false;
        order.current.shown = at;
        return true;
      };
      setRunning((count) => count + 1);
      try {
        const answer = await load();
        if (newest()) {
          setData(answer);
          setError(null);
        }
      } catch (failure) {
        if (newest()) setError(errorText(failure));
      } finally {
        setRunning((count) => count - 1);
      }
    },
    [...deps, enabled],
    periodic,
  );
  return { data, error, loading: running > 0, refresh, refreshedAt, setData, setError };
}
