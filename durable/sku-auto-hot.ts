import type { AutoHot, ChannelRules } from "../shared/schemas/tenancy.ts";

/** A sale that started by itself is not cooled sooner than this. */
export const autoHotMinimumMs = 60_000;
/** How often a sale that started by itself is checked, and the window its shards' rate is measured over. */
export const autoHotCheckEveryMs = 30_000;
export const autoHotRateWindowMs = 60_000;

/**
 * The SKU object's side of flash sales that start and end by themselves
 * (docs/decisions/0043): it counts each channel's pool reservations within a
 * second and says when one reaches the channel's `autoHot` rate; it decides
 * when such a sale has cooled (its shards' reservations over the last
 * minute below a quarter of the rate that started it). Counts are kept in
 * memory: an object that restarts counts again from zero, which only delays
 * a start by a second.
 */
export class AutoHotWatch {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private readonly starting = new Set<string>();
  /** When sales that started by themselves are checked next (null: none runs; undefined: not known since the object started). */
  nextCheck: number | null | undefined;

  /** Counts one pool reservation of `channel` at `now`: its `autoHot` rules when this one reaches their rate and no start is under way, else null. */
  counted(channel: string, rules: ChannelRules, now: number): AutoHot | null {
    const autoHot = rules.autoHot;
    if (!autoHot || this.starting.has(channel)) return null;
    let window = this.windows.get(channel);
    if (!window || now - window.start >= 1_000) {
      window = { start: now, count: 0 };
      this.windows.set(channel, window);
    }
    window.count += 1;
    if (window.count < autoHot.reservationsPerSecond) return null;
    this.windows.delete(channel);
    this.starting.add(channel);
    return autoHot;
  }

  /** The start of `channel`'s sale is over (marked, or refused): counting goes on. */
  started(channel: string): void {
    this.starting.delete(channel);
  }

  /** Whether a sale that started at `since` at `rate` a second has cooled: `reserved` reservations at its shards over the last window. */
  static cooled(since: number, rate: number, reserved: number, now: number): boolean {
    if (now - since < autoHotMinimumMs) return false;
    return (reserved * 1_000) / autoHotRateWindowMs < rate / 4;
  }
}
