import { z } from "@hono/zod-openapi";
import { LocationId, Sku, Timestamp } from "./common.ts";

/** How long a store may stay silent before its leases lapse, unless the lease says otherwise. */
export const defaultLapseAfterHours = 24;

/** The longest sales history a sized lease looks at. */
export const velocityWindowHours = 168;

export const SetLeaseRequest = z
  .object({
    units: z.number().int().min(0).max(1_000_000).optional().openapi({ description: "A fixed lease: this many units, whatever the store sells." }),
    coverHours: z
      .number()
      .min(0.25)
      .max(velocityWindowHours)
      .optional()
      .openapi({ description: `A sized lease: the store's POS sales of the SKU over the trailing ${velocityWindowHours} hours (or since its first sale, if later), in units an hour, × coverHours, rounded up. Re-sized at most hourly as the store's sales arrive.` }),
    maxUnits: z.number().int().min(0).max(1_000_000).optional().openapi({ description: "A sized lease holds at most this many units." }),
    lapseAfterHours: z
      .number()
      .min(0.05)
      .max(720)
      .default(defaultLapseAfterHours)
      .openapi({ description: "A store silent this long (no POS batch, no feed pull) loses the lease's units to the channels until it is heard from again." }),
  })
  .strict()
  .superRefine((value, ctx) => {
    if ((value.units === undefined) === (value.coverHours === undefined)) ctx.addIssue({ code: "custom", path: ["units"], message: "give either units (a fixed lease) or coverHours (sized from sales)" });
    if (value.maxUnits !== undefined && value.coverHours === undefined) ctx.addIssue({ code: "custom", path: ["maxUnits"], message: "maxUnits caps a sized lease (coverHours)" });
  })
  .openapi("SetLeaseRequest");
export type SetLeaseRequest = z.infer<typeof SetLeaseRequest>;

export const StoreLease = z
  .object({
    sku: Sku,
    location: LocationId,
    units: z.number().int().nullable().openapi({ description: "A fixed lease's units; null for a sized one." }),
    coverHours: z.number().nullable(),
    maxUnits: z.number().int().nullable(),
    lapseAfterHours: z.number(),
    inForce: z.number().int().openapi({ description: "Units the lease holds now: excluded from every channel's availability at the location. 0 while suspended." }),
    covered: z
      .number()
      .int()
      .openapi({ description: "Of inForce, the units the shelf still holds beyond channel reservations: what the store may sell offline without leaving a reservation uncovered." }),
    suspended: z.boolean().openapi({ description: "The store has been silent longer than lapseAfterHours: the lease holds nothing until it is heard from." }),
    sizedAt: Timestamp,
  })
  .openapi("StoreLease");
export type StoreLease = z.infer<typeof StoreLease>;

export const StoreLeaseList = z
  .object({
    location: LocationId,
    lastContactAt: Timestamp.nullable().openapi({ description: "When the store was last heard from (a POS batch or a feed pull), as far as its leases go." }),
    leases: z.array(z.object({ sku: Sku, lapseAfterHours: z.number(), suspended: z.boolean() })),
  })
  .openapi("StoreLeaseList");
export type StoreLeaseList = z.infer<typeof StoreLeaseList>;
