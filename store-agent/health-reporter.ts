import { readFileSync } from "node:fs";
import type { StoreHealthReport } from "../shared/schemas/store-health.ts";
import { systemAgentClock, type AgentClock } from "./clock.ts";
import type { AgentDatabase } from "./db/client.ts";
import type { EdgeClient } from "./edge-client.ts";
import { silentLogger, type Logger } from "./log.ts";
import type { Outbox } from "./outbox.ts";
import { PeriodicTask } from "./periodic-task.ts";
import { readAgentStatus } from "./status.ts";

/** The agent's version, as its health reports name it: the package's. */
export const agentVersion: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

export interface HealthReporterOptions {
  store: AgentDatabase;
  outbox: Outbox;
  edge: EdgeClient;
  /** A report at least this often (default 30 s). */
  intervalMs?: number;
  /** How often the status is looked at for a change worth reporting at once (default 2 s). */
  checkEveryMs?: number;
  log?: Logger;
  clock?: AgentClock;
}

/**
 * Reports the store's health to the edge: every `intervalMs`, and at once
 * when something a person watches changes (the link comes back, the backlog
 * empties or starts, dead letters appear). The edge marks the store offline
 * when the reports stop (durable/store-health-board.ts). A failed report is
 * not retried on its own: the next check sends the current state.
 */
export class HealthReporter {
  readonly #store: AgentDatabase;
  readonly #outbox: Outbox;
  readonly #edge: EdgeClient;
  readonly #intervalMs: number;
  readonly #log: Logger;
  readonly #clock: AgentClock;
  readonly #task: PeriodicTask;
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #lastShape: string | null = null;

  constructor(options: HealthReporterOptions) {
    this.#store = options.store;
    this.#outbox = options.outbox;
    this.#edge = options.edge;
    this.#intervalMs = options.intervalMs ?? 30_000;
    this.#log = options.log ?? silentLogger;
    this.#clock = options.clock ?? systemAgentClock;
    this.#task = new PeriodicTask((signal) => this.check(signal), options.checkEveryMs ?? 2_000, this.#clock, this.#log, "health_report_failed");
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** Reports if the interval has passed or something worth reporting changed; returns whether it reported. */
  async check(signal?: AbortSignal): Promise<boolean> {
    const { report, shape } = await this.current();
    if (shape === this.#lastShape && this.#clock.now() - this.#lastSentAt < this.#intervalMs) return false;
    return this.send(report, shape, signal);
  }

  /** Reports now, whatever changed. */
  async reportNow(signal?: AbortSignal): Promise<boolean> {
    const { report, shape } = await this.current();
    return this.send(report, shape, signal);
  }

  /** The report, and what of it is worth reporting at once when it changes. */
  private async current(): Promise<{ report: StoreHealthReport; shape: string }> {
    const status = await readAgentStatus(this.#store, this.#outbox, this.#clock.now());
    const report = {
      agentVersion,
      backlog: status.backlog,
      oldestPendingAt: status.oldestPendingAt,
      lastPushAt: status.lastSuccessfulPushAt,
      lastPullAt: status.lastSuccessfulPullAt,
      deadLetters: status.deadLetters,
    };
    return { report, shape: JSON.stringify({ online: status.online, pending: status.backlog > 0, deadLetters: status.deadLetters }) };
  }

  private async send(report: StoreHealthReport, shape: string, signal?: AbortSignal): Promise<boolean> {
    const outcome = await this.#edge.reportHealth(report, signal);
    if (outcome.kind !== "ok") {
      this.#log({ level: "warn", event: "health_report_failed", reason: outcome.kind === "refused" ? `${outcome.status} ${outcome.code}` : outcome.reason });
      return false;
    }
    this.#lastSentAt = this.#clock.now();
    this.#lastShape = shape;
    return true;
  }
}
