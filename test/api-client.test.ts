import { SELF } from "cloudflare:test";
import createClient from "openapi-fetch";
import { describe, expect, it } from "vitest";
import type { paths } from "../shared/api-client/schema.ts";
import { platformKey, unique } from "./api.ts";

/** A client typed by the generated schema, calling the Worker through its real fetch handler. */
function client(key: string) {
  return createClient<paths>({ baseUrl: "https://edge.test", headers: { authorization: `Bearer ${key}` }, fetch: (request) => SELF.fetch(request) });
}

describe("the client generated from /v1/openapi.json", () => {
  it("creates a tenant, sets stock, reserves and reads the channel's availability", async () => {
    const tenantId = unique("t");
    const created = await client(platformKey).POST("/v1/tenants", {
      params: { header: { "idempotency-key": unique("idem") } },
      body: { id: tenantId, name: "Typed client tenant" },
    });
    expect(created.response.status).toBe(201);
    expect(created.data?.tenant.id).toBe(tenantId);
    const admin = client(created.data!.adminKey.key!);

    const location = await admin.PUT("/v1/locations/{location}", { params: { path: { location: "wh-1" } }, body: { type: "warehouse" } });
    expect(location.data?.type).toBe("warehouse");
    const channel = await admin.PUT("/v1/channels/{channel}", { params: { path: { channel: "web" } }, body: { locations: ["wh-1"] } });
    expect(channel.data?.locations).toEqual(["wh-1"]);

    const stock = await admin.PUT("/v1/inventory/{sku}/locations/{location}", { params: { path: { sku: "MUG-1", location: "wh-1" } }, body: { onHand: 10, safetyStock: 1 } });
    expect(stock.data?.totals).toEqual({ onHand: 10, safetyStock: 1, reserved: 0, leased: 0, available: 9 });

    const reserved = await admin.POST("/v1/inventory/{sku}/reservations", {
      params: { path: { sku: "MUG-1" }, header: { "idempotency-key": unique("idem") } },
      body: { qty: 3, channel: "web", reference: "order-typed-1" },
    });
    expect(reserved.response.status).toBe(201);
    expect(reserved.data).toMatchObject({ sku: "MUG-1", channel: "web", qty: 3, status: "active", allocations: [{ location: "wh-1", qty: 3 }] });

    const refused = await admin.POST("/v1/inventory/{sku}/reservations", {
      params: { path: { sku: "MUG-1" }, header: { "idempotency-key": unique("idem") } },
      body: { qty: 7, channel: "web", reference: "order-typed-2" },
    });
    expect(refused.response.status).toBe(409);
    expect(refused.error?.code).toBe("insufficient_stock");

    const inventory = await admin.GET("/v1/inventory/{sku}", { params: { path: { sku: "MUG-1" } } });
    expect(inventory.data?.totals).toEqual({ onHand: 10, safetyStock: 1, reserved: 3, leased: 0, available: 6 });

    // The read model trails the SKU object by the publish delay: poll until it has the reservation.
    const deadline = Date.now() + 5_000;
    let available: number | undefined;
    while (available !== 6 && Date.now() < deadline) {
      const answer = await admin.GET("/v1/availability/{sku}", { params: { path: { sku: "MUG-1" }, query: { channel: "web" } } });
      available = answer.data?.available;
      if (available !== 6) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(available).toBe(6);
  });
});
