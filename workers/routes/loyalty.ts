import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { customerDirectory, customerLoyalty } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { Cursor, IdempotencyKeyHeader } from "../../shared/schemas/common.ts";
import {
  CreateAdjustmentRequest,
  CreateHoldRequest,
  CreateRedemptionRequest,
  CustomerId,
  LoyaltyAccount,
  LoyaltyHold,
  LoyaltySettings,
  Redemption,
} from "../../shared/schemas/loyalty.ts";
import type { KeyRole } from "../../shared/schemas/tenancy.ts";
import { authorize } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { idempotencyOf, settle } from "../idempotency.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const day = 24 * 60 * 60 * 1000;

/** Checkout (channel) and the till (store) hold and spend points; only an admin corrects them. */
const spenders = ["admin", "channel", "store"] as const;
const readers = ["admin", "erp", "channel", "store", "readonly"] as const;

const loyalty = routesOf("Loyalty");
const CustomerParams = z.object({ id: CustomerId });

const getSettings = loyalty.get("/v1/loyalty/settings", "getLoyaltySettings", {
  summary: "The tenant's loyalty programme: points per currency unit, lifetime, excluded SKUs, negative balances, hold TTL",
  responses: { 200: json(LoyaltySettings, "The programme (defaults until set)") },
});

const putSettings = loyalty.put("/v1/loyalty/settings", "putLoyaltySettings", {
  summary: "Set the tenant's loyalty programme",
  description: "Applies to points earned, held and reversed from now on; lots already earned keep their expiry. docs/decisions/0038-loyalty.md.",
  request: { body: body(LoyaltySettings) },
  responses: { 200: json(LoyaltySettings, "The programme as stored") },
});

const getAccount = loyalty.get("/v1/customers/{id}/loyalty", "getLoyaltyAccount", {
  summary: "A customer's points: balance, held, available, lots with their expiry, active holds, and the ledger by cursor",
  request: { params: CustomerParams, query: z.object({ cursor: Cursor.optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }) },
  responses: { 200: json(LoyaltyAccount, "The account") },
});

const createHold = loyalty.post("/v1/customers/{id}/loyalty/holds", "createLoyaltyHold", {
  summary: "Lock points for a redemption to come",
  description:
    "The points leave `available` at once, taken from the soonest-expiring lots, and are spent by a redemption that names the hold, or come back when it is released or its TTL passes. Two holds or redemptions can never take the same points: 409 insufficient_points.",
  request: { params: CustomerParams, headers: IdempotencyKeyHeader, body: body(CreateHoldRequest) },
  responses: { 201: json(LoyaltyHold, "The hold") },
});

const releaseHold = loyalty.post("/v1/customers/{id}/loyalty/holds/{holdId}/release", "releaseLoyaltyHold", {
  summary: "Release a hold unspent: its points are available again",
  request: { params: CustomerParams.extend({ holdId: z.string().min(1).max(100) }), headers: IdempotencyKeyHeader },
  responses: { 200: json(LoyaltyHold, "The released hold") },
});

const createRedemption = loyalty.post("/v1/customers/{id}/loyalty/redemptions", "createLoyaltyRedemption", {
  summary: "Spend points: from a hold, or from the available points (soonest-expiring first)",
  request: { params: CustomerParams, headers: IdempotencyKeyHeader, body: body(CreateRedemptionRequest) },
  responses: { 201: json(Redemption, "The redemption") },
});

const createAdjustment = loyalty.post("/v1/customers/{id}/loyalty/adjustments", "createLoyaltyAdjustment", {
  summary: "Correct a customer's points by hand: a positive adjustment is a new lot, a negative one spends available points",
  request: { params: CustomerParams, headers: IdempotencyKeyHeader, body: body(CreateAdjustmentRequest) },
  responses: { 200: json(z.object({ points: z.number().int() }).openapi("LoyaltyAdjustment"), "The adjustment") },
});

/** The customer's programme, once the key may act on customers and the customer exists (an erased one only for reading). */
async function customerAccess(c: Context<AppEnv>, roles: readonly KeyRole[], customerId: string, purpose: "read" | "write") {
  const { principal } = await authorize(c, { roles: [...roles] });
  const { customer, settings } = await customerDirectory(c.env, principal.tenantId).loyaltyContext(customerId);
  if (!customer || (purpose === "write" && customer.erased)) throw new AppError("not_found", `No customer ${customerId}`);
  return { settings, points: customerLoyalty(c.env, principal.tenantId, customerId) };
}

export const loyaltyRoutes = createRouter()
  .openapi(getSettings, async (c) => {
    const { principal } = await authorize(c, { roles: ["admin", "readonly"] });
    return c.json(await customerDirectory(c.env, principal.tenantId).getLoyaltySettings(), 200);
  })
  .openapi(putSettings, async (c) => {
    const { principal } = await authorize(c, { roles: ["admin"] });
    return c.json(await customerDirectory(c.env, principal.tenantId).putLoyaltySettings(c.req.valid("json")), 200);
  })
  .openapi(getAccount, async (c) => {
    const { id } = c.req.valid("param");
    const { cursor, limit } = c.req.valid("query");
    const { points } = await customerAccess(c, readers, id, "read");
    return c.json(await points.account(cursor === undefined ? 0 : Number(cursor), limit), 200);
  })
  .openapi(createHold, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const { points, settings } = await customerAccess(c, spenders, id, "write");
    const idempotency = await idempotencyOf(c, input, { required: true });
    const result = await points.hold({ points: input.points, reference: input.reference, ttlMs: (input.ttlSeconds ?? settings.holdTtlSeconds) * 1000 }, idempotency);
    return c.json(settle(c, result).hold, 201);
  })
  .openapi(releaseHold, async (c) => {
    const { id, holdId } = c.req.valid("param");
    const { points } = await customerAccess(c, spenders, id, "write");
    const idempotency = await idempotencyOf(c, { holdId }, { required: true });
    return c.json(settle(c, await points.releaseHold(holdId, idempotency)).hold, 200);
  })
  .openapi(createRedemption, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const { points } = await customerAccess(c, spenders, id, "write");
    const idempotency = await idempotencyOf(c, input, { required: true });
    const result = await points.redeem({ points: input.points, reference: input.reference, source: c.get("principal")!.role === "store" ? "pos" : "order", ...(input.holdId === undefined ? {} : { holdId: input.holdId }) }, idempotency);
    return c.json(settle(c, result).redemption, 201);
  })
  .openapi(createAdjustment, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const { points, settings } = await customerAccess(c, ["admin"], id, "write");
    const idempotency = await idempotencyOf(c, input, { required: true });
    const result = await points.adjust({ points: input.points, reason: input.reason, lifetimeMs: settings.lifetimeDays * day }, idempotency);
    return c.json({ points: settle(c, result).points }, 200);
  });
