import { z } from "@hono/zod-openapi";
import { ChannelId, Cursor, ExternalId, LocationId, PlainText, Reference, Sku, Timestamp } from "./common.ts";

/** A customer's id as the retailer (or its CRM) gives it. */
export const CustomerId = ExternalId("cust-10042");
export type CustomerId = z.infer<typeof CustomerId>;

/** The most points one entry may move: far above any real basket, low enough that sums stay exact. */
export const maxPoints = 1_000_000_000;

export const Points = z.number().int().min(1).max(maxPoints).openapi({ example: 250 });

/** The tenant's loyalty programme: how points are earned, how long they live, and what a store may do offline. */
export const LoyaltySettings = z
  .object({
    pointsPerUnit: z
      .number()
      .min(0)
      .max(1_000)
      .default(1)
      .openapi({ description: "Points per major currency unit of the paid amount, net of discounts (rounded down per sale)." }),
    lifetimeDays: z.number().int().min(1).max(3_650).default(365).openapi({ description: "Points expire this many days after they were earned (each earning is a lot with its own expiry)." }),
    channelRates: z
      .record(ChannelId, z.number().min(0).max(1_000))
      .default({})
      .openapi({ description: "Points per major unit for the orders of these channels, instead of pointsPerUnit (0: they earn nothing).", example: { marketplace: 0.5 } }),
    storeRates: z
      .record(LocationId, z.number().min(0).max(1_000))
      .default({})
      .openapi({ description: "Points per major unit for the POS sales of these stores, instead of pointsPerUnit (0: they earn nothing).", example: { "store-12": 2 } }),
    excludedSkus: z.array(Sku).max(1_000).default([]).openapi({ description: "Lines of these SKUs earn nothing." }),
    allowNegativeBalance: z
      .boolean()
      .default(false)
      .openapi({ description: "Whether a reversal (a return of lines whose points were spent) may take the balance below zero; if not, the shortfall becomes an exception." }),
    holdTtlSeconds: z.number().int().min(60).max(7 * 24 * 3_600).default(900).openapi({ description: "How long a hold locks points unless the hold says otherwise." }),
  })
  .strict()
  .openapi("LoyaltySettings");
export type LoyaltySettings = z.infer<typeof LoyaltySettings>;

export const defaultLoyaltySettings: LoyaltySettings = LoyaltySettings.parse({});

/** import: an opening balance brought by a CRM import (`import:<import id>:<customer id>`, credited once). */
export const LoyaltySourceKind = z.enum(["order", "pos", "return", "manual", "import"]);
export type LoyaltySourceKind = z.infer<typeof LoyaltySourceKind>;

export const LoyaltyEntryType = z.enum(["earn", "hold", "release", "redeem", "reverse", "expire", "adjust"]).openapi({
  description:
    "earn: a lot is added; hold: points locked for a redemption; release: a hold ends unspent; redeem: points spent; reverse: an earning or a redemption undone (a return); expire: a lot's unspent points lapse; adjust: a manual correction.",
});
export type LoyaltyEntryType = z.infer<typeof LoyaltyEntryType>;

export const LoyaltyEntry = z
  .object({
    seq: z.number().int(),
    type: LoyaltyEntryType,
    balanceDelta: z.number().int().openapi({ description: "Change of the balance (points not spent or expired, held or not)." }),
    heldDelta: z.number().int().openapi({ description: "Change of the points held." }),
    source: LoyaltySourceKind,
    reference: z.string(),
    holdId: z.string().nullable(),
    at: Timestamp,
  })
  .openapi("LoyaltyEntry");
export type LoyaltyEntry = z.infer<typeof LoyaltyEntry>;

export const LoyaltyLot = z
  .object({
    id: z.string(),
    earned: z.number().int().openapi({ description: "Points the lot started with." }),
    remaining: z.number().int().openapi({ description: "Points neither spent nor expired (held ones included)." }),
    held: z.number().int(),
    earnedAt: Timestamp,
    expiresAt: Timestamp,
    expired: z.boolean(),
    reference: z.string(),
  })
  .openapi("LoyaltyLot");
export type LoyaltyLot = z.infer<typeof LoyaltyLot>;

export const LoyaltyHoldStatus = z.enum(["active", "redeemed", "released", "expired"]);

export const LoyaltyHold = z
  .object({
    id: z.string(),
    customerId: CustomerId,
    points: z.number().int(),
    status: LoyaltyHoldStatus,
    reference: z.string(),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    closedAt: Timestamp.nullable(),
  })
  .openapi("LoyaltyHold");
export type LoyaltyHold = z.infer<typeof LoyaltyHold>;

export const LoyaltyAccount = z
  .object({
    customerId: CustomerId,
    balance: z.number().int().openapi({ description: "Points earned and not spent, reversed or expired; below 0 only when the programme allows a reversal to take it there." }),
    held: z.number().int().openapi({ description: "Points locked by active holds." }),
    available: z.number().int().openapi({ description: "balance − held: what a new hold or redemption may take." }),
    lots: z.array(LoyaltyLot).openapi({ description: "Lots with points left, soonest expiry first (spent in that order)." }),
    holds: z.array(LoyaltyHold).openapi({ description: "Active holds." }),
    ledger: z.object({ entries: z.array(LoyaltyEntry), nextCursor: Cursor.nullable() }),
  })
  .openapi("LoyaltyAccount");
export type LoyaltyAccount = z.infer<typeof LoyaltyAccount>;

export const CreateHoldRequest = z
  .object({
    points: Points,
    reference: Reference,
    ttlSeconds: z.number().int().min(60).max(7 * 24 * 3_600).optional().openapi({ description: "How long the points stay locked; the programme's holdTtlSeconds if omitted." }),
  })
  .strict()
  .openapi("CreateLoyaltyHoldRequest");
export type CreateHoldRequest = z.infer<typeof CreateHoldRequest>;

export const CreateRedemptionRequest = z
  .object({
    points: Points,
    reference: Reference,
    holdId: z.string().max(100).optional().openapi({ description: "Spend from this active hold: points at most what it holds; what it holds beyond them is released." }),
  })
  .strict()
  .openapi("CreateLoyaltyRedemptionRequest");
export type CreateRedemptionRequest = z.infer<typeof CreateRedemptionRequest>;

export const Redemption = z
  .object({
    id: z.string(),
    customerId: CustomerId,
    points: z.number().int(),
    reference: z.string(),
    holdId: z.string().nullable(),
    at: Timestamp,
  })
  .openapi("LoyaltyRedemption");
export type Redemption = z.infer<typeof Redemption>;

export const CreateAdjustmentRequest = z
  .object({
    points: z
      .number()
      .int()
      .min(-maxPoints)
      .max(maxPoints)
      .refine((points) => points !== 0, "an adjustment moves at least one point")
      .openapi({ description: "Positive: a lot of this many points, expiring after the programme's lifetime. Negative: spent from the available points, soonest-expiring first." }),
    reason: PlainText(200),
  })
  .strict()
  .openapi("CreateLoyaltyAdjustmentRequest");
export type CreateAdjustmentRequest = z.infer<typeof CreateAdjustmentRequest>;
