import { useCallback, useEffect, useState } from "preact/hooks";

/** How often a screen that watches live figures reads them again while the page is visible. */
export const refreshEveryMs = 5_000;

/**
 * Calls `load` now, every `refreshEveryMs` while the page is visible (a hidden
 * tab asks nothing of the edge), at once when the page becomes visible again,
 * and when the returned `refresh` is called (the screen's Refresh button).
 * With `periodic` false, only now (and again when `deps` change) and on
 * `refresh`. `refreshedAt` says when the last load finished; `refresh`'s
 * promise, when its own load did.
 */
export function usePeriodicRefresh(load: () => Promise<void>, deps: unknown[], periodic = true): { refresh: () => Promise<void>; refreshedAt: Date | null } {
  const [refreshedAt, setRefreshedAt] = useState<Date | null>(null);
  const run = useCallback(() => load().finally(() => setRefreshedAt(new Date())), deps);
  useEffect(() => {
    void run();
    if (!periodic) return;
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") void run();
    }, refreshEveryMs);
    const onVisible = () => document.visibilityState === "visible" && void run();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [run, periodic]);
  return { refresh: run, refreshedAt };
}

/** "3 min", "2 h 5 min": a duration in seconds as a person reads it. */
export function ageText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ${minutes % 60} min` : `${Math.floor(hours / 24)} d`;
}

/** A timestamp as local date and time to the second, or "—". */
export function timeText(at: string | null | undefined): string {
  return at ? new Date(at).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" }) : "—";
}
