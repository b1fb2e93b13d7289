import type { Context } from "hono";
import { tenantRegistry } from "../durable/objects.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { hourOf, type ThroughputMetric } from "../shared/schemas/metrics.ts";
import { monthOf } from "../shared/usage-month.ts";
import type { AppEnv } from "./env.ts";
import { logLine } from "./log.ts";
import { traceIdOf } from "../shared/tracing.ts";

interface Pending {
  month: string;
  calls: number;
  /** Throughput counted, by `<hour>|<metric>`. */
  throughput: Map<string, number>;
  /** Calls to count since the last flush: API calls and throughput counts alike. */
  counted: number;
  since: number;
}

const maxTenants = 10_000;

/**
 * Counts each tenant's API calls, and its throughput (POS transactions
 * accepted, reservations taken), in the isolate and adds them to the
 * tenant's registry in batches (after the answer, by waitUntil): at
 * `flushCalls` counts or once the oldest uncounted one is `flushAfterMs`
 * old, whichever comes first, so a busy tenant costs its registry one write
 * per 100 counts per isolate, never a call per request. Counts still pending
 * when an isolate is evicted, or whose flush fails, are lost: the figures
 * err low, by at most `flushCalls - 1` per isolate and tenant
 * (docs/decisions/0034-partners.md, 0041-throughput-metrics.md). Throughput
 * is also written, one data point per count, to Workers Analytics Engine
 * where the `METRICS` dataset is bound; those writes are not awaited.
 */
class UsageMeter {
  /** Tests replace these to see a flush without sending hundreds of requests or waiting. */
  clock: Clock = systemClock;
  flushCalls = 100;
  flushAfterMs = 10_000;
  private readonly pending = new Map<string, Pending>();

  countApiCall(c: Context<AppEnv>, tenantId: string): void {
    const entry = this.entryOf(c, tenantId);
    entry.calls += 1;
    entry.counted += 1;
    this.flushIfDue(c, tenantId);
  }

  /** Counts `count` of `metric` now (e.g. the transactions a store batch had accepted). */
  countThroughput(c: Context<AppEnv>, tenantId: string, metric: Exclude<ThroughputMetric, "orders">, count: number): void {
    if (count <= 0) return;
    c.env.METRICS?.writeDataPoint({ indexes: [tenantId], blobs: [metric], doubles: [count] });
    const entry = this.entryOf(c, tenantId);
    const key = `${hourOf(this.clock.now())}|${metric}`;
    entry.throughput.set(key, (entry.throughput.get(key) ?? 0) + count);
    entry.counted += 1;
    this.flushIfDue(c, tenantId);
  }

  private entryOf(c: Context<AppEnv>, tenantId: string): Pending {
    const now = this.clock.now();
    const month = monthOf(now);
    let entry = this.pending.get(tenantId);
    if (entry && entry.month !== month) {
      this.flush(c, tenantId, entry);
      entry = undefined;
    }
    if (!entry) {
      if (this.pending.size >= maxTenants) {
        const [oldest, oldestEntry] = this.pending.entries().next().value!;
        this.flush(c, oldest, oldestEntry);
      }
      entry = { month, calls: 0, throughput: new Map(), counted: 0, since: now };
      this.pending.set(tenantId, entry);
    }
    return entry;
  }

  private flushIfDue(c: Context<AppEnv>, tenantId: string): void {
    const entry = this.pending.get(tenantId)!;
    if (entry.counted >= this.flushCalls || this.clock.now() - entry.since >= this.flushAfterMs) this.flush(c, tenantId, entry);
  }

  private flush(c: Context<AppEnv>, tenantId: string, entry: Pending): void {
    this.pending.delete(tenantId);
    const throughput = [...entry.throughput].map(([key, count]) => {
      const [hour, metric] = key.split("|") as [string, string];
      return { hour: Number(hour), metric, count };
    });
    const added = tenantRegistry(c.env, tenantId)
      .addUsage(entry.month, entry.calls, throughput)
      .catch((error: Error) => logLine({ level: "error", requestId: c.get("requestId"), traceId: traceIdOf(c.get("traceparent")), message: `usage flush failed for ${tenantId}: ${error.message}` }));
    c.executionCtx.waitUntil(added);
  }
}

/** The isolate's API call and throughput counts (module state lives as long as the isolate). */
export const usageMeter = new UsageMeter();
