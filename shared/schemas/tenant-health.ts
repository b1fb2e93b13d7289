import { z } from "@hono/zod-openapi";
import { TenantId, Timestamp } from "./common.ts";
import { ExceptionType } from "./exceptions.ts";
import { PartnerId } from "./partners.ts";

/** The most tenants one page of a partner's overview reads: each costs three object calls plus one per connection. */
export const maxTenantHealthPage = 50;

/** How long one tenant's objects may take to answer before its row says timeout: one slow tenant must not hold the page. */
export const tenantHealthTimeoutMs = 5_000;

export const TenantHealthQuery = z.object({
  cursor: TenantId.optional().openapi({ description: "nextCursor of the previous page; omit it for the first." }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(maxTenantHealthPage)
    .default(20)
    .openapi({ description: `Tenants in this page (at most ${maxTenantHealthPage}: each is read from its own objects while you wait).` }),
});

export const TenantStoresHealth = z
  .object({
    total: z.number().int().openapi({ description: "Locations of type store." }),
    online: z.number().int(),
    offline: z.number().int().openapi({ description: "Silent longer than the offline bound." }),
    unknown: z.number().int().openapi({ description: "Never reported." }),
    backlog: z.number().int().openapi({ description: "Transactions waiting at the stores, summed over those that reported." }),
    oldestPendingAgeSeconds: z.number().nullable().openapi({ description: "The oldest unsent sale at any store, as of this answer; null when none waits." }),
    deadLetters: z.number().int(),
  })
  .openapi("TenantStoresHealth");

export const TenantExceptionsHealth = z
  .object({
    open: z.number().int(),
    byType: z.array(z.object({ type: ExceptionType, open: z.number().int() })).openapi({ description: "Open exceptions per type, most first." }),
  })
  .openapi("TenantExceptionsHealth");

export const TenantConnectionsHealth = z
  .object({
    total: z.number().int().openapi({ description: "Channel and ERP connections, disabled ones included." }),
    failing: z.number().int().openapi({ description: "In state failing or credentials_rejected." }),
    throttled: z.number().int(),
    maxSyncLagMs: z.number().nullable().openapi({ description: "The highest p99 sync lag of the channel connections over the last hour; null without samples." }),
    oldestPendingAgeSeconds: z.number().nullable().openapi({ description: "The longest any change (a channel SKU, an ERP journal or sales document) has waited for its remote; null when none waits." }),
  })
  .openapi("TenantConnectionsHealth");

/** A tenant whose objects answered: its figures. */
export const TenantHealth = z
  .object({
    tenant: TenantId,
    name: z.string(),
    status: z.literal("ok").openapi({ description: "The figures were read. Tell the two kinds of row apart by this field." }),
    stores: TenantStoresHealth,
    exceptions: TenantExceptionsHealth,
    connections: TenantConnectionsHealth,
  })
  .openapi("TenantHealth");
export type TenantHealth = z.infer<typeof TenantHealth>;

export const TenantHealthUnavailableCode = z.enum(["timeout", "read_failed"]).openapi({
  description: `timeout: the tenant's objects did not answer within ${tenantHealthTimeoutMs / 1000} s; read_failed: one of them failed (the edge logged why). Either may pass by the next read.`,
});

/** A tenant whose objects did not answer in time, or failed: no figures, and why. The rest of the page is unaffected. */
export const TenantHealthUnavailable = z
  .object({
    tenant: TenantId,
    name: z.string(),
    status: z.literal("unavailable").openapi({ description: "The figures could not be read: there are none in this row, not even zeros." }),
    unavailable: z.object({ code: TenantHealthUnavailableCode, detail: z.string() }),
  })
  .openapi("TenantHealthUnavailable");
export type TenantHealthUnavailable = z.infer<typeof TenantHealthUnavailable>;

/** One row of the partner's overview: the tenant's figures (status ok) or why they could not be read (status unavailable). */
export const TenantHealthRow = z.discriminatedUnion("status", [TenantHealth, TenantHealthUnavailable]).openapi("TenantHealthRow", {
  description: "Each tenant is read on its own: one that fails or is slow is a row with status unavailable, and the other rows keep their figures.",
});
export type TenantHealthRow = z.infer<typeof TenantHealthRow>;

export const TenantHealthPage = z
  .object({
    partner: PartnerId,
    tenants: z.array(TenantHealthRow).openapi({ description: "The partner's tenants in id order, each with its figures (status ok) or why they could not be read (status unavailable)." }),
    nextCursor: TenantId.nullable().openapi({ description: "Pass it as cursor for the next page; null on the last." }),
    asOf: Timestamp,
  })
  .openapi("TenantHealthPage");
export type TenantHealthPage = z.infer<typeof TenantHealthPage>;
