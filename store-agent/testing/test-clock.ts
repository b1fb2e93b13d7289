import { ManualClock } from "../../shared/clock.ts";
import type { AgentClock } from "../clock.ts";

interface Sleeper {
  until: number;
  wake: () => void;
}

/**
 * The agent's clock for tests: time stands still, and whatever sleeps on it
 * (a backoff, the idle poll, the feed interval) wakes only when the test moves
 * the clock on. Everything else (HTTP, libSQL) runs for real.
 *
 * @example
 * const clock = new TestClock();
 * const replayer = new Replayer({ store, outbox, edge, clock });
 * await clock.run(replayer.drain()); // each backoff is skipped, not waited
 * clock.elapsed;                     // the virtual time the backoffs took
 */
export class TestClock extends ManualClock implements AgentClock {
  readonly started: number;
  /** Every wait asked for, in ms, in order (those cut short by an abort too). */
  readonly sleeps: number[] = [];
  /** Pending sleepers, the earliest first; equal times in the order they slept. */
  readonly #sleepers: Sleeper[] = [];
  #onSleep: (() => void)[] = [];

  constructor(start = Date.now()) {
    super(start);
    this.started = start;
  }

  /** Virtual milliseconds since the clock was made. */
  get elapsed(): number {
    return this.now() - this.started;
  }

  /** How long each pending sleeper still has to sleep, the soonest first. */
  get pending(): number[] {
    return this.#sleepers.map((sleeper) => sleeper.until - this.now());
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        until: this.now() + ms,
        wake: () => {
          signal?.removeEventListener("abort", sleeper.wake);
          const index = this.#sleepers.indexOf(sleeper);
          if (index >= 0) this.#sleepers.splice(index, 1);
          resolve();
        },
      };
      const after = this.#sleepers.findIndex((other) => other.until > sleeper.until);
      this.#sleepers.splice(after < 0 ? this.#sleepers.length : after, 0, sleeper);
      signal?.addEventListener("abort", sleeper.wake, { once: true });
      for (const notify of this.#onSleep.splice(0)) notify();
    });
  }

  /** Moves the time on by `ms`, waking, in order, every sleeper whose time has come. */
  override advance(ms: number): number {
    if (ms < 0) throw new RangeError("a clock does not go back");
    const target = this.now() + ms;
    for (let next = this.#sleepers[0]; next && next.until <= target; next = this.#sleepers[0]) {
      super.advance(next.until - this.now());
      next.wake();
    }
    return super.advance(target - this.now());
  }

  /**
   * Waits (in real time, at most `timeoutMs`) until something sleeps, then
   * moves the clock to the soonest wake-up; resolves with the virtual ms moved.
   */
  async next(timeoutMs = 5_000): Promise<number> {
    if (this.#sleepers.length === 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`nothing slept on the test clock within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([this.#nextSleep(), timedOut]);
      } finally {
        clearTimeout(timer);
      }
    }
    const ms = this.#sleepers[0]!.until - this.now();
    this.advance(ms);
    return ms;
  }

  /**
   * Settles `work`, moving the clock to the next wake-up whenever something
   * sleeps before it is done: for code that is alone on this clock (a drain),
   * whose waits should take no real time. Gives up after `maxWakeUps`.
   */
  async run<T>(work: Promise<T>, maxWakeUps = 10_000): Promise<T> {
    let settled = false;
    const done = work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let wakeUps = 0; ; wakeUps++) {
      if (this.#sleepers.length === 0) await Promise.race([done, this.#nextSleep()]);
      if (settled) return work;
      if (wakeUps >= maxWakeUps) throw new Error(`still not settled after ${maxWakeUps} wake-ups on the test clock`);
      this.advance(this.#sleepers[0]!.until - this.now());
      // Let the woken code run up to its next await before looking again.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  #nextSleep(): Promise<void> {
    return new Promise((resolve) => this.#onSleep.push(resolve));
  }
}
