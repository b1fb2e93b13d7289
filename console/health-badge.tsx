import { ageText } from "./refresh.ts";

/** ok: nothing to do; warn: worth a look; bad: something is down or failing; quiet: nothing there to judge. */
export type Health = "ok" | "warn" | "bad" | "quiet";

/** A badge whose words say what its colour says (colour is never the only sign). */
export function HealthBadge({ health, text, testId }: { health: Health; text: string; testId?: string }) {
  return (
    <span class={`badge health-${health}`} data-health={health} data-testid={testId}>
      {text}
    </span>
  );
}

/** A lag as a person reads it: the larger of a sync lag (ms) and the age of what still waits (s); "—" with neither. */
export function lagText(syncLagMs: number | null | undefined, pendingSeconds: number | null | undefined): string {
  if ((syncLagMs === null || syncLagMs === undefined) && (pendingSeconds === null || pendingSeconds === undefined)) return "—";
  const seconds = Math.max((syncLagMs ?? 0) / 1000, pendingSeconds ?? 0);
  return seconds < 1 ? `${Math.round(seconds * 1000)} ms` : ageText(seconds);
}
