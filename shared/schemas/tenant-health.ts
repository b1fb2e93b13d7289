import { z } from "@hono/zod-openapi";
import { TenantId, Timestamp } from "./common.ts";
import { ExceptionType } from "./exceptions.ts";
import { PartnerId } from "./partners.ts";

/** The most tenants one page of a partner's overview reads: each costs three object calls plus one per connection. */
export const maxTenantHealthPage = 50;

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

export const TenantHealth = z
  .object({
    tenant: TenantId,
    name: z.string(),
    stores: TenantStoresHealth,
    exceptions: TenantExceptionsHealth,
    connections: TenantConnectionsHealth,
  })
  .openapi("TenantHealth");
export type TenantHealth = z.infer<typeof TenantHealth>;

export const TenantHealthPage = z
  .object({
    partner: PartnerId,
    tenants: z.array(TenantHealth).openapi({ description: "The partner's tenants in id order." }),
    nextCursor: TenantId.nullable().openapi({ description: "Pass it as cursor for the next page; null on the last." }),
    asOf: Timestamp,
  })
  .openapi("TenantHealthPage");
export type TenantHealthPage = z.infer<typeof TenantHealthPage>;
