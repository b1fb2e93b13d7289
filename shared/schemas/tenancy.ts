import { z } from "@hono/zod-openapi";
import { ChannelId, LocationId, PlainText, TenantId, Timestamp } from "./common.ts";

export const CreateTenantRequest = z
  .object({
    id: TenantId,
    name: PlainText(200).openapi({ example: "Acme Retail" }),
  })
  .strict()
  .openapi("CreateTenantRequest");
export type CreateTenantRequest = z.infer<typeof CreateTenantRequest>;

export const Tenant = z
  .object({
    id: TenantId,
    name: z.string(),
    createdAt: Timestamp,
    partner: TenantId.nullable().optional().openapi({ description: "In GET /v1/tenants: the partner the tenant belongs to (null: created by the platform)." }),
  })
  .openapi("Tenant");
export type Tenant = z.infer<typeof Tenant>;

export const KeyRole = z.enum(["admin", "channel", "store", "erp", "readonly"]).openapi({
  description: "admin: everything in the tenant; channel: reservations and availability of one channel; store: one location's stock; erp: stock snapshots and adjustments; readonly: reads.",
});
export type KeyRole = z.infer<typeof KeyRole>;

/** An optional end of a key's life, an ISO 8601 instant with an offset; the registry refuses one already past. */
const KeyExpiry = z.iso.datetime({ offset: true }).openapi({
  example: "2027-06-30T00:00:00Z",
  description: "After this instant the key is refused with 401 key_expired. Omit it for a key that lives until revoked.",
});

export const CreateKeyRequest = z
  .object({
    role: KeyRole,
    name: PlainText(200).optional(),
    channel: ChannelId.optional(),
    location: LocationId.optional(),
    expiresAt: KeyExpiry.optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.role === "channel" && !value.channel) ctx.addIssue({ code: "custom", path: ["channel"], message: "a channel key needs a channel" });
    if (value.role === "store" && !value.location) ctx.addIssue({ code: "custom", path: ["location"], message: "a store key needs a location" });
    if (value.role !== "channel" && value.channel) ctx.addIssue({ code: "custom", path: ["channel"], message: "only channel keys are bound to a channel" });
    if (value.role !== "store" && value.location) ctx.addIssue({ code: "custom", path: ["location"], message: "only store keys are bound to a location" });
  })
  .openapi("CreateKeyRequest");
export type CreateKeyRequest = z.infer<typeof CreateKeyRequest>;

export const KeyStatus = z.enum(["active", "expired", "revoked"]).openapi({
  description: "active: accepted (a rotated key stays active until its overlap ends); expired: past its expiresAt; revoked: revoked by DELETE /v1/keys/{id}.",
});
export type KeyStatus = z.infer<typeof KeyStatus>;

export const ApiKey = z
  .object({
    id: z.string(),
    role: KeyRole,
    name: z.string().nullable(),
    channel: ChannelId.nullable(),
    location: LocationId.nullable(),
    createdAt: Timestamp,
    status: KeyStatus,
    expiresAt: Timestamp.nullable().openapi({ description: "When the key stops working (set by a rotation to the end of its overlap); null: never by itself." }),
    revokedAt: Timestamp.nullable(),
    lastUsedAt: Timestamp.nullable().openapi({
      description: "When the key was last seen, recorded at most once a minute per key; requests the edge answers from its key cache are not seen, so this lags the real last use by at most 90 seconds.",
    }),
    replacedBy: z.string().nullable().openapi({ description: "The successor a rotation issued in this key's place." }),
    replaces: z.string().nullable().openapi({ description: "The key this one succeeded by rotation." }),
    key: z.string().nullable().openapi({
      description: "The secret, shown once in the answer that created it. A replay of that request under the same Idempotency-Key returns null here: keys are stored hashed only.",
    }),
  })
  .openapi("ApiKey");
export type ApiKey = z.infer<typeof ApiKey>;

/** Longest overlap a rotation allows: the old key works at most this long beside its successor. */
export const maxRotationOverlapSeconds = 7 * 24 * 60 * 60;

export const RotateKeyRequest = z
  .object({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(maxRotationOverlapSeconds)
      .default(3_600)
      .openapi({ description: "How long the old key keeps working beside its successor (default one hour, at most seven days; 0 ends it now, within the key cache's 30-second bound)." }),
    expiresAt: KeyExpiry.optional(),
  })
  .strict()
  .openapi("RotateKeyRequest");
export type RotateKeyRequest = z.infer<typeof RotateKeyRequest>;

export const RotateKeyResponse = z
  .object({
    key: ApiKey.openapi({ description: "The successor, with its secret in `key` (null on a replay)." }),
    previous: ApiKey.openapi({ description: "The rotated key, now with its expiresAt and replacedBy." }),
  })
  .openapi("RotateKeyResponse");

export const KeyParams = z.object({ id: z.string().min(1).max(64).openapi({ example: "key_5k2m0w3x9q2k4m6n8p1r" }) });

export const CreateTenantResponse = z
  .object({ tenant: Tenant, adminKey: ApiKey })
  .openapi("CreateTenantResponse");

export const LocationType = z.enum(["store", "warehouse", "3pl"]);

export const PutLocationRequest = z
  .object({
    type: LocationType,
    name: PlainText(200).optional(),
  })
  .strict()
  .openapi("PutLocationRequest");
export type PutLocationRequest = z.infer<typeof PutLocationRequest>;

export const Location = z
  .object({ id: LocationId, type: LocationType, name: z.string().nullable(), updatedAt: Timestamp })
  .openapi("Location");
export type Location = z.infer<typeof Location>;

/** A channel's flash sales start by themselves: a SKU whose pool reservations on it reach this rate is marked hot (docs/decisions/0043). */
export const AutoHot = z
  .object({
    reservationsPerSecond: z.number().int().min(1).max(100_000).openapi({ description: "Pool reservations of one SKU within one second on this channel that mark the SKU hot for it." }),
    shards: z.number().int().min(2).max(32).openapi({ description: "The allotment shards a SKU marked so is split over." }),
  })
  .strict()
  .openapi("AutoHot");
export type AutoHot = z.infer<typeof AutoHot>;

export const ChannelRules = z
  .object({
    locations: z.array(LocationId).min(1).max(500).openapi({ description: "The pool, in routing priority order." }),
    bufferUnits: z.number().int().min(0).max(1_000_000).default(0).openapi({ description: "Units of the pool never offered on this channel." }),
    maxUnits: z.number().int().min(0).max(1_000_000_000).nullable().default(null).openapi({ description: "At most this many units offered at once." }),
    maxPercent: z.number().int().min(0).max(100).nullable().default(null).openapi({ description: "At most this percent of the pool's available units offered at once." }),
    autoHot: AutoHot.nullable()
      .optional()
      .openapi({
        description:
          "Flash sales that start and end by themselves: a SKU whose pool reservations on the channel reach `reservationsPerSecond` is marked hot with `shards` shards, and cooled when its shards' rate, over the last minute, falls below a quarter of it (checked every 30 s, not before a minute). Null or absent: only PUT /v1/inventory/{sku}/hot marks a SKU hot.",
      }),
  })
  .strict();
export type ChannelRules = z.infer<typeof ChannelRules>;

export const PutChannelRequest = ChannelRules.superRefine((value, ctx) => {
  if (new Set(value.locations).size !== value.locations.length) {
    ctx.addIssue({ code: "custom", path: ["locations"], message: "a location appears twice in the pool" });
  }
}).openapi("PutChannelRequest");

export const Channel = ChannelRules.extend({ id: ChannelId, version: z.number().int(), updatedAt: Timestamp }).openapi("Channel");
export type Channel = z.infer<typeof Channel>;

