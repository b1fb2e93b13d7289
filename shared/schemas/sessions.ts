import { z } from "@hono/zod-openapi";
import { TenantId, Timestamp } from "./common.ts";
import { PartnerId } from "./partners.ts";
import { KeyRole } from "./tenancy.ts";

/**
 * A console session: a short-lived cookie that stands for the API key it was
 * made from (docs/decisions/0035-console.md). It reaches exactly what the key
 * reaches, and ends when the key is revoked (within the 30 s of decision 0017).
 */
export const Session = z
  .object({
    kind: z.enum(["tenant", "partner"]).openapi({ description: "What the key behind the session is: a tenant key, or a partner key (which acts on one of its tenants with X-Shelfsync-Tenant)." }),
    tenant: TenantId.nullable().openapi({ description: "The tenant the request acts on: the key's own, or the one a partner's request names; null for a partner acting on none." }),
    partner: PartnerId.nullable().openapi({ description: "The partner, for a partner key's session." }),
    keyId: z.string().openapi({ description: "The id of the key the session stands for." }),
    role: KeyRole.nullable().openapi({ description: "The role on `tenant` (a partner acting on its tenant is its admin); null when the request acts on no tenant." }),
    expiresAt: Timestamp.openapi({ description: "When the session ends however busy (8 hours after sign-in)." }),
    idleExpiresAt: Timestamp.openapi({ description: "When it ends unless used before (1 hour after its last request, to the minute)." }),
    csrfToken: z.string().openapi({ description: "Send it as X-Shelfsync-CSRF on every request other than GET and HEAD made with the session's cookie." }),
  })
  .openapi("Session");
export type Session = z.infer<typeof Session>;
