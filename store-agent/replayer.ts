import { maxStoreBatch, maxStoreBatchBytes, type StoreTransactionBatchResult } from "../shared/schemas/store-transactions.ts";
import { recordPushFailure } from "./agent-state.ts";
import { backoffDelay, defaultBackoff, type BackoffPolicy } from "../shared/backoff.ts";
import { systemAgentClock, type AgentClock } from "./clock.ts";
import type { AgentDatabase } from "./db/client.ts";
import type { EdgeClient } from "./edge-client.ts";
import { silentLogger, type Logger } from "./log.ts";
import type { Acknowledgement, Outbox, OutboxEntry } from "./outbox.ts";

/** What one push came to. */
export type PushStep =
  | { kind: "idle" }
  | { kind: "pushed"; sent: number; deadLettered: number }
  /** The edge found the batch too large: the next one is smaller; nothing changed. */
  | { kind: "resized"; batchLimit: number }
  | { kind: "unavailable"; reason: string; retryAfterMs?: number }
  | { kind: "refused"; status: number; code: string; detail: string };

export interface DrainProgress {
  /** Rows settled (sent or dead-lettered) by this drain so far. */
  settled: number;
  remaining: number;
  /** Set while waiting to retry an edge that is unavailable or refusing. */
  waiting?: { reason: string; delayMs: number };
}

export interface ReplayerOptions {
  store: AgentDatabase;
  outbox: Outbox;
  edge: EdgeClient;
  /** At most this many transactions per request (the contract allows 500). */
  batchSize?: number;
  /** At most this many bytes per request (the contract allows maxStoreBatchBytes). */
  maxBatchBytes?: number;
  backoff?: BackoffPolicy;
  /** How often an idle replayer looks for rows it was not told about (the CLI writes from another process). */
  idlePollMs?: number;
  random?: () => number;
  log?: Logger;
  /** The time and the waits (backoff, idle poll); the system clock unless a test moves one by hand. */
  clock?: AgentClock;
}

export class PushRefusedError extends Error {
  override readonly name = "PushRefusedError";
  readonly status: number;
  readonly code: string;

  constructor(step: Extract<PushStep, { kind: "refused" }>) {
    super(`the edge refused the batch: ${step.status} ${step.code}: ${step.detail}`);
    this.status = step.status;
    this.code = step.code;
  }
}

/**
 * Sends the outbox to the edge in sequence order, in batches, and settles
 * each row from the edge's answer for it (see docs/store-agent.md, "Replay
 * protocol"). It keeps nothing in memory that matters: after a crash the
 * pending rows are the state, and resending an applied one is answered
 * "duplicate".
 *
 * @example
 * const replayer = new Replayer({ store, outbox, edge });
 * replayer.start();
 * await replayer.drain(); // resolves when nothing is pending
 */
export class Replayer {
  readonly #store: AgentDatabase;
  readonly #outbox: Outbox;
  readonly #edge: EdgeClient;
  readonly #maxBatchBytes: number;
  readonly #backoff: BackoffPolicy;
  readonly #idlePollMs: number;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #clock: AgentClock;
  #batchLimit: number;
  /** Pushes run one at a time, whether from the loop or from drain(). */
  #turn: Promise<unknown> = Promise.resolve();
  #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #nudged = false;

  constructor(options: ReplayerOptions) {
    this.#store = options.store;
    this.#outbox = options.outbox;
    this.#edge = options.edge;
    this.#batchLimit = Math.min(options.batchSize ?? maxStoreBatch, maxStoreBatch);
    this.#maxBatchBytes = Math.min(options.maxBatchBytes ?? maxStoreBatchBytes, maxStoreBatchBytes);
    this.#backoff = options.backoff ?? defaultBackoff;
    this.#idlePollMs = options.idlePollMs ?? 1_000;
    this.#random = options.random ?? Math.random;
    this.#log = options.log ?? silentLogger;
    this.#clock = options.clock ?? systemAgentClock;
  }

  /** Starts pushing in the background until stop(). */
  start(): void {
    if (this.#loop) return;
    this.#stop = new AbortController();
    this.#loop = this.#run(this.#stop.signal);
  }

  /** Stops the loop; an in-flight request is abandoned, and its rows stay pending. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#wake?.();
    await this.#loop;
    await this.#turn.catch(() => undefined);
    this.#loop = null;
  }

  /** Tells an idle loop that there is a new row; it does not cut a backoff short. */
  nudge(): void {
    this.#nudged = true;
    this.#wake?.();
  }

  /** Pushes one batch of the oldest pending rows and settles them from the answer. */
  pushOnce(signal?: AbortSignal): Promise<PushStep> {
    const step = this.#turn.then(() => this.#push(signal));
    this.#turn = step.catch(() => undefined);
    return step;
  }

  /**
   * Pushes until nothing is pending, retrying with backoff while the edge is
   * unavailable. Rejects with PushRefusedError when the edge refuses a whole
   * batch (a bad key, say), and with the abort reason when `signal` aborts.
   */
  async drain(options: { signal?: AbortSignal; onProgress?: (progress: DrainProgress) => void } = {}): Promise<void> {
    const { signal, onProgress } = options;
    let settled = 0;
    let attempt = 0;
    for (;;) {
      signal?.throwIfAborted();
      const step = await this.pushOnce(signal);
      if (step.kind === "idle") {
        onProgress?.({ settled, remaining: 0 });
        return;
      }
      if (step.kind === "refused") throw new PushRefusedError(step);
      if (step.kind === "pushed" || step.kind === "resized") {
        attempt = 0;
        if (step.kind === "pushed") settled += step.sent + step.deadLettered;
        onProgress?.({ settled, remaining: (await this.#outbox.backlog()).size });
        continue;
      }
      const delayMs = step.retryAfterMs ?? backoffDelay(attempt++, this.#backoff, this.#random);
      onProgress?.({ settled, remaining: (await this.#outbox.backlog()).size, waiting: { reason: step.reason, delayMs } });
      await this.#clock.sleep(delayMs, signal);
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    while (!signal.aborted) {
      let step: PushStep;
      try {
        step = await this.pushOnce(signal);
      } catch (error) {
        this.#log({ level: "error", event: "push_failed", message: error instanceof Error ? error.message : String(error) });
        step = { kind: "unavailable", reason: "the agent failed to push; see the log" };
      }
      if (signal.aborted) return;
      if (step.kind === "pushed" || step.kind === "resized") {
        attempt = 0;
        continue;
      }
      if (step.kind === "idle") {
        attempt = 0;
        await this.#idle(signal);
        continue;
      }
      const delayMs = step.kind === "unavailable" && step.retryAfterMs !== undefined ? step.retryAfterMs : backoffDelay(attempt, this.#backoff, this.#random);
      attempt += 1;
      this.#log({ level: "warn", event: "push_retry", attempt, delayMs, ...(step.kind === "refused" ? { status: step.status, code: step.code, reason: step.detail } : { reason: step.reason }) });
      await this.#clock.sleep(delayMs, signal);
    }
  }

  async #idle(signal: AbortSignal): Promise<void> {
    if (this.#nudged) {
      this.#nudged = false;
      return;
    }
    if (signal.aborted) return;
    // One signal for both ways out (stop, nudge), without AbortSignal.any: the loop's signal lives as long as the agent.
    const woken = new AbortController();
    const wake = () => woken.abort();
    this.#wake = wake;
    signal.addEventListener("abort", wake, { once: true });
    await this.#clock.sleep(this.#idlePollMs, woken.signal);
    signal.removeEventListener("abort", wake);
    this.#wake = null;
    this.#nudged = false;
  }

  async #push(signal?: AbortSignal): Promise<PushStep> {
    const batch = await this.#outbox.pending(this.#batchLimit, this.#maxBatchBytes);
    if (batch.length === 0) return { kind: "idle" };
    const started = this.#clock.now();
    const outcome = await this.#edge.push(batch, signal);
    const now = this.#clock.now();
    if (signal?.aborted && outcome.kind !== "ok") return { kind: "unavailable", reason: "stopped" };

    if (outcome.kind === "unavailable") {
      await recordPushFailure(this.#store, { at: now, message: outcome.reason, ...(outcome.status !== undefined && { status: outcome.status }) }, outcome.status === 429);
      return { kind: "unavailable", reason: outcome.reason, ...(outcome.retryAfterMs !== undefined && { retryAfterMs: outcome.retryAfterMs }) };
    }
    if (outcome.kind === "refused") {
      if (outcome.code === "payload_too_large" || outcome.status === 413) return this.#tooLarge(batch, outcome.detail);
      await recordPushFailure(this.#store, { at: now, message: outcome.detail, status: outcome.status, code: outcome.code }, true);
      return outcome;
    }

    const acknowledgements = this.#match(batch, outcome.value);
    if (acknowledgements.length === 0) {
      const reason = "the edge's answer acknowledged none of the batch";
      await recordPushFailure(this.#store, { at: now, message: reason }, true);
      return { kind: "unavailable", reason };
    }
    const { sent, deadLettered } = await this.#outbox.settle(acknowledgements, outcome.value);
    for (const ack of acknowledgements) {
      if (ack.status === "rejected") this.#log({ level: "warn", event: "dead_letter", sequence: ack.sequence, code: ack.code, reason: ack.reason });
    }
    this.#log({
      event: "pushed",
      first: batch[0]!.sequence,
      last: batch[batch.length - 1]!.sequence,
      sent,
      deadLettered,
      highWaterMark: outcome.value.highWaterMark,
      ms: now - started,
    });
    return { kind: "pushed", sent, deadLettered };
  }

  /** Keeps only answers for rows of this batch whose transaction id matches ours. */
  #match(batch: OutboxEntry[], answer: StoreTransactionBatchResult): Acknowledgement[] {
    const bySequence = new Map(batch.map((entry) => [entry.sequence, entry]));
    const acknowledgements: Acknowledgement[] = [];
    for (const result of answer.results) {
      const entry = bySequence.get(result.sequence);
      if (!entry || (result.transactionId !== null && result.transactionId !== entry.transactionId)) {
        this.#log({ level: "warn", event: "unmatched_result", sequence: result.sequence, transactionId: result.transactionId });
        continue;
      }
      bySequence.delete(result.sequence);
      acknowledgements.push(
        result.status === "rejected"
          ? { sequence: result.sequence, status: "rejected", code: result.code ?? "rejected", reason: result.reason ?? null }
          : { sequence: result.sequence, status: result.status },
      );
    }
    return acknowledgements;
  }

  /**
   * A batch over the edge's size limit is split; a single transaction over
   * it can never be accepted, so it is dead-lettered rather than blocking
   * everything behind it.
   */
  async #tooLarge(batch: OutboxEntry[], detail: string): Promise<PushStep> {
    if (batch.length > 1) {
      this.#batchLimit = Math.max(1, Math.floor(batch.length / 2));
      this.#log({ level: "warn", event: "batch_resized", batchLimit: this.#batchLimit, reason: detail });
      return { kind: "resized", batchLimit: this.#batchLimit };
    }
    const only = batch[0]!;
    const { deadLettered } = await this.#outbox.settle([{ sequence: only.sequence, status: "rejected", code: "payload_too_large", reason: detail }], null);
    this.#log({ level: "warn", event: "dead_letter", sequence: only.sequence, code: "payload_too_large", reason: detail });
    return { kind: "pushed", sent: 0, deadLettered };
  }
}
