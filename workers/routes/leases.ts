import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { LeaseState } from "../../durable/sku-leases.ts";
import { skuObject, storeLeases } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { LocationId, Sku } from "../../shared/schemas/common.ts";
import { SetLeaseRequest, StoreLease, StoreLeaseList } from "../../shared/schemas/leases.ts";
import { authorize } from "../auth.ts";
import type { AppEnv } from "../env.ts";
import { unwrap } from "../idempotency.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const setters = ["admin", "erp"] as const;
const readers = ["admin", "erp", "store", "readonly"] as const;

const leases = routesOf("Store leases");
const LeaseParams = z.object({ sku: Sku, location: LocationId });

const putLease = leases.put("/v1/inventory/{sku}/locations/{location}/lease", "setStoreLease", {
  summary: "Set the store's lease of a SKU: units no channel may reserve, so the store can sell them offline",
  description: [
    "A fixed lease (units) or one sized from the store's POS sales (coverHours, optionally maxUnits). The units in force leave every channel's availability at the location, like safety stock; the store's feed carries how many of them it may sell offline without risk.",
    "A store silent longer than lapseAfterHours (no POS batch, no feed pull) loses the lease's units to the channels until it is heard from again. Setting the lease again replaces it. docs/decisions/0033-store-leases.md.",
  ].join(" "),
  request: { params: LeaseParams, body: body(SetLeaseRequest) },
  responses: { 200: json(StoreLease, "The lease as it now stands") },
});

const getLease = leases.get("/v1/inventory/{sku}/locations/{location}/lease", "getStoreLease", {
  summary: "The store's lease of a SKU",
  request: { params: LeaseParams },
  responses: { 200: json(StoreLease, "The lease") },
});

const deleteLease = leases.delete("/v1/inventory/{sku}/locations/{location}/lease", "endStoreLease", {
  summary: "End the store's lease of a SKU: its units go back to the channels",
  request: { params: LeaseParams },
  responses: { 204: { description: "Ended" } },
});

const listLeases = leases.get("/v1/stores/{location}/leases", "listStoreLeases", {
  summary: "The SKUs a store holds a lease of, whether each is suspended, and when the store was last heard from",
  request: { params: z.object({ location: LocationId }) },
  responses: { 200: json(StoreLeaseList, "The store's leases") },
});

async function locationAccess(c: Context<AppEnv>, roles: readonly ("admin" | "erp" | "store" | "readonly")[], location: string) {
  const access = await authorize(c, { roles: [...roles], location });
  if (!access.location) throw new AppError("unknown_location", `No location ${location}`);
  return access.principal;
}

function leaseView(sku: string, lease: LeaseState, lapseAfterHours: number): StoreLease {
  const { sizedAt, ...rest } = lease;
  return { sku, ...rest, lapseAfterHours, sizedAt: new Date(sizedAt).toISOString() };
}

export const leaseRoutes = createRouter()
  .openapi(putLease, async (c) => {
    const { sku, location } = c.req.valid("param");
    const { units, coverHours, maxUnits, lapseAfterHours } = c.req.valid("json");
    const { tenantId } = await locationAccess(c, setters, location);
    // The keeper first: a SKU object holds a lease only once its store's silence is watched.
    const keeper = storeLeases(c.env, tenantId, location);
    const { suspended } = await keeper.hold(sku, lapseAfterHours * 3_600_000);
    const set = await skuObject(c.env, tenantId, sku).setLease(location, { units, coverHours, maxUnits }, suspended);
    // Refused only for a SKU nothing was recorded of, which had no lease to keep.
    if (!set.ok) await keeper.drop(sku);
    return c.json(leaseView(sku, unwrap(set).lease, lapseAfterHours), 200);
  })
  .openapi(getLease, async (c) => {
    const { sku, location } = c.req.valid("param");
    const { tenantId } = await locationAccess(c, readers, location);
    const [lease, lapseAfterHours] = await Promise.all([skuObject(c.env, tenantId, sku).getLease(location), storeLeases(c.env, tenantId, location).lapseOf(sku)]);
    if (!lease || lapseAfterHours === null) throw new AppError("not_found", `No lease of ${sku} at ${location}`);
    return c.json(leaseView(sku, lease, lapseAfterHours), 200);
  })
  .openapi(deleteLease, async (c) => {
    const { sku, location } = c.req.valid("param");
    const { tenantId } = await locationAccess(c, setters, location);
    const ended = await skuObject(c.env, tenantId, sku).endLease(location);
    await storeLeases(c.env, tenantId, location).drop(sku);
    if (!ended) throw new AppError("not_found", `No lease of ${sku} at ${location}`);
    return c.body(null, 204);
  })
  .openapi(listLeases, async (c) => {
    const { location } = c.req.valid("param");
    const { tenantId } = await locationAccess(c, readers, location);
    return c.json(await storeLeases(c.env, tenantId, location).list(), 200);
  });
