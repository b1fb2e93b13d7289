import { z } from "@hono/zod-openapi";
import { AppError } from "../../shared/errors.ts";
import { IdempotencyKeyHeader, LocationId, Sku } from "../../shared/schemas/common.ts";
import { AdjustmentRequest, LedgerPage, LedgerQuery, SetStockRequest, InventoryView } from "../../shared/schemas/inventory.ts";
import { authorize } from "../auth.ts";
import { skuObject } from "../../durable/objects.ts";
import { idempotencyOf, settle, unwrap } from "../idempotency.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const writers = ["admin", "erp", "store"] as const;
const readers = ["admin", "erp", "store", "readonly"] as const;

const inventory = routesOf("Inventory");

const setStock = inventory.put("/v1/inventory/{sku}/locations/{location}", "setStock", {
  summary: "Set a location's onHand and safetyStock (ERP snapshot)",
  request: { params: z.object({ sku: Sku, location: LocationId }), headers: IdempotencyKeyHeader, body: body(SetStockRequest) },
  responses: { 200: json(InventoryView, "The SKU after the snapshot") },
});

const adjust = inventory.post("/v1/inventory/{sku}/adjustments", "adjustStock", {
  summary: "Adjust a location's onHand by a delta, with a reason and a reference",
  request: { params: z.object({ sku: Sku }), headers: IdempotencyKeyHeader, body: body(AdjustmentRequest) },
  responses: { 201: json(InventoryView, "The SKU after the adjustment") },
});

const read = inventory.get("/v1/inventory/{sku}", "getInventory", {
  summary: "Per-location figures, totals and version of a SKU",
  description: "A store key sees its own location only (totals are that location's); a SKU never stocked there is 404 not_found.",
  request: { params: z.object({ sku: Sku }) },
  responses: { 200: json(InventoryView, "The SKU") },
});

const readLedger = inventory.get("/v1/inventory/{sku}/ledger", "getLedger", {
  summary: "The SKU's append-only movement ledger, oldest first, by cursor",
  description: "A store key sees its own location's entries only; a page may then hold fewer than `limit` entries while nextCursor goes on.",
  request: { params: z.object({ sku: Sku }), query: LedgerQuery },
  responses: { 200: json(LedgerPage, "A page of ledger entries") },
});

export const inventoryRoutes = createRouter()
  .openapi(setStock, async (c) => {
    const { sku, location } = c.req.valid("param");
    const input = c.req.valid("json");
    const access = await authorize(c, { roles: writers, location });
    if (!access.location) throw new AppError("unknown_location", `No location ${location}; create it with PUT /v1/locations/${location}`);
    const idempotency = await idempotencyOf(c, input, { required: false });
    const stub = skuObject(c.env, access.principal.tenantId, sku);
    const { inventory } = settle(c, await stub.setStock({ location, ...input }, idempotency));
    return c.json(inventory, 200);
  })
  .openapi(adjust, async (c) => {
    const { sku } = c.req.valid("param");
    const input = c.req.valid("json");
    const access = await authorize(c, { roles: writers, location: input.location });
    if (!access.location) throw new AppError("unknown_location", `No location ${input.location}`);
    const idempotency = await idempotencyOf(c, input, { required: true });
    const stub = skuObject(c.env, access.principal.tenantId, sku);
    const { inventory } = settle(c, await stub.adjust(input, idempotency));
    return c.json(inventory, 201);
  })
  .openapi(read, async (c) => {
    const { sku } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    const stub = skuObject(c.env, principal.tenantId, sku);
    const { inventory } = unwrap(await stub.getInventory());
    return c.json(principal.role === "store" ? ownLocationOnly(inventory, principal.location) : inventory, 200);
  })
  .openapi(readLedger, async (c) => {
    const { sku } = c.req.valid("param");
    const { cursor, limit } = c.req.valid("query");
    const { principal } = await authorize(c, { roles: readers });
    const stub = skuObject(c.env, principal.tenantId, sku);
    const own = principal.role === "store" ? (principal.location ?? undefined) : undefined;
    return c.json(await stub.getLedger(Number(cursor ?? 0), limit, own), 200);
  });

/**
 * A store key's view of a SKU: its own location's figures only, totals
 * being that location's; a SKU never stocked there is 404, as if unknown.
 */
function ownLocationOnly(inventory: InventoryView, location: string | null): InventoryView {
  const here = inventory.locations.filter((stock) => stock.location === location);
  if (here.length === 0) throw new AppError("not_found", `No inventory recorded for SKU ${inventory.sku} at this key's location`);
  const [{ onHand, safetyStock, reserved, leased, available }] = here as [InventoryView["locations"][number]];
  return { ...inventory, locations: here, totals: { onHand, safetyStock, reserved, leased, available } };
}
