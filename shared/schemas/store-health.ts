import { z } from "@hono/zod-openapi";
import { LocationId, Timestamp } from "./common.ts";

/** What a store's agent reports of itself, every 30 s and when something changes. */
export const StoreHealthReport = z
  .object({
    agentVersion: z.string().min(1).max(40).regex(/^[0-9A-Za-z.+_-]+$/, "a version such as 1.4.2"),
    backlog: z.number().int().min(0).max(1_000_000_000).openapi({ description: "Transactions recorded at the store and not yet acknowledged by the edge." }),
    oldestPendingAt: Timestamp.pipe(z.iso.datetime()).nullable().openapi({ description: "When the oldest of them was recorded (the agent's clock)." }),
    lastPushAt: Timestamp.pipe(z.iso.datetime()).nullable(),
    lastPullAt: Timestamp.pipe(z.iso.datetime()).nullable(),
    deadLetters: z.number().int().min(0).max(1_000_000_000).openapi({ description: "Transactions the edge rejected for good, waiting for a person." }),
  })
  .strict()
  .openapi("StoreHealthReport");
export type StoreHealthReport = z.infer<typeof StoreHealthReport>;

export const StoreStatus = z.enum(["online", "offline", "unknown"]).openapi({ description: "online: reported within the offline bound; offline: silent longer; unknown: never reported." });
export type StoreStatus = z.infer<typeof StoreStatus>;

export const StoreHealth = z
  .object({
    location: LocationId,
    status: StoreStatus,
    lastReportAt: Timestamp.nullable().openapi({ description: "When the edge last heard the store's report." }),
    onlineSince: Timestamp.nullable(),
    offlineSince: Timestamp.nullable(),
    agentVersion: z.string().nullable(),
    backlog: z.number().int().nullable(),
    oldestPendingAt: Timestamp.nullable(),
    oldestPendingAgeSeconds: z.number().nullable().openapi({ description: "Now less oldestPendingAt: how long the oldest unsent sale has waited, as of this answer." }),
    lastPushAt: Timestamp.nullable(),
    lastPullAt: Timestamp.nullable(),
    deadLetters: z.number().int().nullable(),
  })
  .openapi("StoreHealth");
export type StoreHealth = z.infer<typeof StoreHealth>;

export const StoreHealthSample = z
  .object({
    at: Timestamp,
    status: StoreStatus,
    backlog: z.number().int(),
    oldestPendingAgeSeconds: z.number().nullable(),
    deadLetters: z.number().int(),
  })
  .openapi("StoreHealthSample");
export type StoreHealthSample = z.infer<typeof StoreHealthSample>;

export const StoreHealthDetail = StoreHealth.extend({
  samples: z.array(StoreHealthSample).openapi({ description: "The last 24 hours: one sample every 5 minutes while reports arrive, and one at each change of status, oldest first." }),
}).openapi("StoreHealthDetail");
export type StoreHealthDetail = z.infer<typeof StoreHealthDetail>;

export const StoreList = z
  .object({
    stores: z.array(StoreHealth),
    offlineAfterSeconds: z.number().openapi({ description: "A store silent this long is offline." }),
  })
  .openapi("StoreList");
export type StoreList = z.infer<typeof StoreList>;
