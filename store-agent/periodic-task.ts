import type { AgentClock } from "./clock.ts";
import type { Logger } from "./log.ts";

/**
 * Runs `run` in the background, then waits `everyMs` on the agent's clock,
 * until stopped; a run that throws is logged under `failedEvent` and the
 * next one goes on. The feed puller and the health reporter run this way.
 *
 * @example
 * const task = new PeriodicTask((signal) => puller.pullAll(signal), 30_000, clock, log, "pull_failed");
 * task.start();
 * await task.stop(); // aborts the wait (and the run, through its signal)
 */
export class PeriodicTask {
  readonly #run: (signal: AbortSignal) => Promise<unknown>;
  readonly #everyMs: number;
  readonly #clock: AgentClock;
  readonly #log: Logger;
  readonly #failedEvent: string;
  #stop = new AbortController();
  #loop: Promise<void> | null = null;

  constructor(run: (signal: AbortSignal) => Promise<unknown>, everyMs: number, clock: AgentClock, log: Logger, failedEvent: string) {
    this.#run = run;
    this.#everyMs = everyMs;
    this.#clock = clock;
    this.#log = log;
    this.#failedEvent = failedEvent;
  }

  start(): void {
    if (this.#loop) return;
    this.#stop = new AbortController();
    const signal = this.#stop.signal;
    this.#loop = (async () => {
      while (!signal.aborted) {
        await this.#run(signal).catch((error: unknown) => {
          this.#log({ level: "error", event: this.#failedEvent, message: error instanceof Error ? error.message : String(error) });
        });
        await this.#clock.sleep(this.#everyMs, signal);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    this.#loop = null;
  }
}
