import type { Clock } from "../shared/clock.ts";

/**
 * The agent's clock: the time, and waiting for time to pass. The replayer's
 * backoff and idle poll, the feed puller's interval and the timestamps the
 * agent writes go through it, so a test moves a clock by hand
 * (store-agent/testing/test-clock.ts) instead of waiting on the real one.
 */
export interface AgentClock extends Clock {
  /** Waits `ms`, or less if `signal` aborts; never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real time and real timers.
 *
 * @example
 * await systemAgentClock.sleep(backoffDelay(attempt, policy), signal);
 */
export const systemAgentClock: AgentClock = {
  now: () => Date.now(),
  sleep(ms, signal) {
    if (signal?.aborted) return Promise.resolve();
    // A timer and a listener rather than timers/promises: an abort (every nudge of an idle replayer) builds no AbortError.
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
    });
  },
};
