import { z } from "@hono/zod-openapi";
import { CatalogItem, Promotion, PromotionId, PutCatalogItemRequest, PutPromotionRequest } from "../../shared/schemas/catalog.ts";
import { IdempotencyKeyHeader, Sku } from "../../shared/schemas/common.ts";
import { authorize } from "../auth.ts";
import { idempotencyOf, settle, unwrap } from "../idempotency.ts";
import { catalogStore } from "../../durable/objects.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const writers = ["admin", "erp"] as const;
const readers = ["admin", "erp", "store", "readonly"] as const;

const catalog = routesOf("Catalog");

const putItem = catalog.put("/v1/catalog/items/{sku}", "upsertCatalogItem", {
  summary: "Create or replace a catalog item: name, barcodes, price",
  description: "A barcode belongs to one SKU at a time (409 conflict if another SKU has it). A PUT that changes nothing keeps the item's place in the store feed.",
  request: { params: z.object({ sku: Sku }), headers: IdempotencyKeyHeader, body: body(PutCatalogItemRequest) },
  responses: { 200: json(CatalogItem, "The item") },
});

const readItem = catalog.get("/v1/catalog/items/{sku}", "getCatalogItem", {
  summary: "Read a catalog item",
  request: { params: z.object({ sku: Sku }) },
  responses: { 200: json(CatalogItem, "The item") },
});

const putPromotion = catalog.put("/v1/promotions/{id}", "upsertPromotion", {
  summary: "Create or replace a promotion: SKUs, percent or amount off, date range",
  request: { params: z.object({ id: PromotionId }), headers: IdempotencyKeyHeader, body: body(PutPromotionRequest) },
  responses: { 200: json(Promotion, "The promotion") },
});

const readPromotion = catalog.get("/v1/promotions/{id}", "getPromotion", {
  summary: "Read a promotion",
  request: { params: z.object({ id: PromotionId }) },
  responses: { 200: json(Promotion, "The promotion") },
});

export const catalogRoutes = createRouter()
  .openapi(putItem, async (c) => {
    const { sku } = c.req.valid("param");
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: writers });
    const idempotency = await idempotencyOf(c, input, { required: false });
    return c.json(settle(c, await catalogStore(c.env, principal.tenantId).putItem(sku, input, idempotency)).item, 200);
  })
  .openapi(readItem, async (c) => {
    const { sku } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    return c.json(unwrap(await catalogStore(c.env, principal.tenantId).getItem(sku)).item, 200);
  })
  .openapi(putPromotion, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: writers });
    const idempotency = await idempotencyOf(c, input, { required: false });
    return c.json(settle(c, await catalogStore(c.env, principal.tenantId).putPromotion(id, input, idempotency)).promotion, 200);
  })
  .openapi(readPromotion, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    return c.json(unwrap(await catalogStore(c.env, principal.tenantId).getPromotion(id)).promotion, 200);
  });
