import type { Context } from "hono";
import { storeLeases } from "../durable/objects.ts";
import type { AppEnv } from "./env.ts";

/** A store is reported heard from at most this often per isolate: its leases' lapse is precise to about this. */
export const contactEveryMs = 60_000;

/** Stores remembered per isolate before the oldest is forgotten (it is then reported again on its next request). */
const maxRemembered = 10_000;

const lastReported = new Map<string, number>();

/**
 * Tells the store's lease keeper (durable/store-leases.ts) that the store
 * was heard from (its agent's POS batch or feed pull, under a store key; an
 * admin reading the feed is not the store), off the request's path and
 * at most once a minute per isolate, so that a store keeps its leases while
 * it is online and gets them back when it returns.
 */
export function storeHeardFrom(c: Context<AppEnv>, tenantId: string, location: string): void {
  const key = `${tenantId}/${location}`;
  const now = Date.now();
  if (now - (lastReported.get(key) ?? Number.NEGATIVE_INFINITY) < contactEveryMs) return;
  if (lastReported.size >= maxRemembered) lastReported.delete(lastReported.keys().next().value!);
  lastReported.set(key, now);
  c.executionCtx.waitUntil(
    storeLeases(c.env, tenantId, location)
      .heardFrom()
      .catch(() => lastReported.delete(key)),
  );
}
