import type { Context } from "hono";
import { tenantRegistry } from "../durable/objects.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { monthOf } from "../shared/usage-month.ts";
import type { AppEnv } from "./env.ts";
import { logLine } from "./log.ts";

interface Pending {
  month: string;
  calls: number;
  since: number;
}

const maxTenants = 10_000;

/**
 * Counts each tenant's API calls in the isolate and adds them to the
 * tenant's registry in batches (after the answer, by waitUntil): at
 * `flushCalls` calls or once the oldest uncounted call is `flushAfterMs`
 * old, whichever comes first, so a busy tenant costs its registry one write
 * per 100 calls per isolate, never a call per request. Calls still pending
 * when an isolate is evicted, or whose flush fails, are lost: the count
 * errs low, by at most `flushCalls - 1` per isolate and tenant
 * (docs/decisions/0034-partners.md).
 */
class UsageMeter {
  /** Tests replace these to see a flush without sending hundreds of requests or waiting. */
  clock: Clock = systemClock;
  flushCalls = 100;
  flushAfterMs = 10_000;
  private readonly pending = new Map<string, Pending>();

  countApiCall(c: Context<AppEnv>, tenantId: string): void {
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
      entry = { month, calls: 0, since: now };
      this.pending.set(tenantId, entry);
    }
    entry.calls += 1;
    if (entry.calls >= this.flushCalls || now - entry.since >= this.flushAfterMs) this.flush(c, tenantId, entry);
  }

  private flush(c: Context<AppEnv>, tenantId: string, entry: Pending): void {
    this.pending.delete(tenantId);
    const added = tenantRegistry(c.env, tenantId)
      .addApiCalls(entry.month, entry.calls)
      .catch((error: Error) => logLine({ level: "error", requestId: c.get("requestId"), message: `usage flush failed for ${tenantId}: ${error.message}` }));
    c.executionCtx.waitUntil(added);
  }
}

/** The isolate's API call counts (module state lives as long as the isolate). */
export const usageMeter = new UsageMeter();
