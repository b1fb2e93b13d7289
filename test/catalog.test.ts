import { describe, expect, it } from "vitest";
import { call, createKey, createTenant, unique, type ApiResponse } from "./api.ts";
import { expectProblem } from "./fixtures.ts";

const item = { name: "Red T-shirt M", barcodes: ["0012345678905"], price: 1999, currency: "USD" };
const promotion = { name: "Summer", skus: ["TSHIRT-RED-M"], percentOff: 15, startsAt: "2026-06-01T00:00:00Z", endsAt: "2026-09-01T00:00:00Z" };

function errorPaths(response: ApiResponse): string[] {
  return (response.body.errors as { path: string }[]).map((error) => error.path);
}

describe("catalog items", () => {
  it("are created and replaced by PUT and read back; an erp key may write, a store key may read", async () => {
    const tenant = await createTenant();
    const erpKey = await createKey(tenant, { role: "erp" });
    const created = await call("PUT", "/v1/catalog/items/TSHIRT-RED-M", { key: erpKey, body: item });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ sku: "TSHIRT-RED-M", ...item, updatedAt: expect.any(String) });

    const replaced = await call("PUT", "/v1/catalog/items/TSHIRT-RED-M", { key: tenant.adminKey, body: { name: "Red T-shirt M", price: 1499, currency: "USD" } });
    expect(replaced.body).toEqual({ sku: "TSHIRT-RED-M", name: "Red T-shirt M", barcodes: [], price: 1499, currency: "USD", updatedAt: expect.any(String) });

    await call("PUT", "/v1/locations/store-a", { key: tenant.adminKey, body: { type: "store" } });
    const storeKey = await createKey(tenant, { role: "store", location: "store-a" });
    expect((await call("GET", "/v1/catalog/items/TSHIRT-RED-M", { key: storeKey })).body).toEqual(replaced.body);
    expectProblem(await call("GET", "/v1/catalog/items/NOPE", { key: storeKey }), 404, "not_found");
  });

  it("a barcode belongs to one SKU at a time: 409 conflict, until its owner lets it go", async () => {
    const tenant = await createTenant();
    expect((await call("PUT", "/v1/catalog/items/A-1", { key: tenant.adminKey, body: item })).status).toBe(200);
    const taken = await call("PUT", "/v1/catalog/items/B-1", { key: tenant.adminKey, body: { ...item, barcodes: ["0099", "0012345678905"] } });
    expectProblem(taken, 409, "conflict");
    expect(taken.body.barcodes).toEqual(["0012345678905"]);
    expectProblem(await call("GET", "/v1/catalog/items/B-1", { key: tenant.adminKey }), 404, "not_found");

    expect((await call("PUT", "/v1/catalog/items/A-1", { key: tenant.adminKey, body: { ...item, barcodes: [] } })).status).toBe(200);
    expect((await call("PUT", "/v1/catalog/items/B-1", { key: tenant.adminKey, body: { ...item, barcodes: ["0012345678905"] } })).status).toBe(200);
  });

  it("invalid items are 400 validation_failed naming the field, and store nothing", async () => {
    const tenant = await createTenant();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...item, price: -1 }, "price"],
      [{ ...item, price: 19.99 }, "price"],
      [{ ...item, price: "1999" }, "price"],
      [{ ...item, currency: "usd" }, "currency"],
      [{ ...item, name: "" }, "name"],
      [{ ...item, barcodes: ["12"] }, "barcodes.0"],
      [{ ...item, barcodes: ["0012345678905", "0012345678905"] }, "barcodes"],
      [{ ...item, colour: "red" }, ""],
      [{ name: "x", currency: "USD" }, "price"],
    ];
    for (const [body, path] of cases) {
      const response = await call("PUT", "/v1/catalog/items/TSHIRT-RED-M", { key: tenant.adminKey, body });
      expectProblem(response, 400, "validation_failed");
      expect(errorPaths(response)).toContain(path);
    }
    expectProblem(await call("PUT", "/v1/catalog/items/bad%20sku", { key: tenant.adminKey, body: item }), 400, "validation_failed");
    expectProblem(await call("PUT", "/v1/catalog/items/TSHIRT-RED-M", { key: tenant.adminKey, rawBody: "{" }), 400, "malformed_json");
    expectProblem(await call("GET", "/v1/catalog/items/TSHIRT-RED-M", { key: tenant.adminKey }), 404, "not_found");
  });

  it("only admin and erp keys may write", async () => {
    const tenant = await createTenant();
    await call("PUT", "/v1/locations/store-a", { key: tenant.adminKey, body: { type: "store" } });
    for (const body of [{ role: "store", location: "store-a" }, { role: "readonly" }]) {
      const key = await createKey(tenant, body);
      expectProblem(await call("PUT", "/v1/catalog/items/TSHIRT-RED-M", { key, body: item }), 403, "forbidden");
      expectProblem(await call("PUT", "/v1/promotions/p-1", { key, body: promotion }), 403, "forbidden");
    }
    expectProblem(await call("PUT", "/v1/catalog/items/TSHIRT-RED-M", { body: item }), 401, "unauthorized");
  });

  it("are the tenant's own: another tenant's key cannot read them", async () => {
    const [mine, theirs] = [await createTenant(), await createTenant()];
    const sku = unique("sku");
    expect((await call("PUT", `/v1/catalog/items/${sku}`, { key: mine.adminKey, body: item })).status).toBe(200);
    expectProblem(await call("GET", `/v1/catalog/items/${sku}`, { key: theirs.adminKey }), 404, "not_found");
    // The same barcode is free in another tenant.
    expect((await call("PUT", `/v1/catalog/items/${sku}`, { key: theirs.adminKey, body: item })).status).toBe(200);
  });
});

describe("promotions", () => {
  it("are created and replaced by PUT and read back", async () => {
    const tenant = await createTenant();
    const created = await call("PUT", "/v1/promotions/summer-15", { key: tenant.adminKey, body: promotion });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: "summer-15",
      name: "Summer",
      skus: ["TSHIRT-RED-M"],
      percentOff: 15,
      amountOff: null,
      startsAt: "2026-06-01T00:00:00.000Z",
      endsAt: "2026-09-01T00:00:00.000Z",
      updatedAt: expect.any(String),
    });
    const { name: _name, percentOff: _percent, ...rest } = promotion;
    const replaced = await call("PUT", "/v1/promotions/summer-15", { key: tenant.adminKey, body: { ...rest, amountOff: 500 } });
    expect(replaced.body).toMatchObject({ name: null, percentOff: null, amountOff: 500 });
    expect((await call("GET", "/v1/promotions/summer-15", { key: tenant.adminKey })).body).toEqual(replaced.body);
    expectProblem(await call("GET", "/v1/promotions/winter", { key: tenant.adminKey }), 404, "not_found");
  });

  it("invalid promotions are 400 validation_failed naming the field, and store nothing", async () => {
    const tenant = await createTenant();
    const { percentOff: _percent, ...noDiscount } = promotion;
    const cases: [Record<string, unknown>, string][] = [
      [noDiscount, "percentOff"],
      [{ ...promotion, amountOff: 100 }, "percentOff"],
      [{ ...promotion, percentOff: 0 }, "percentOff"],
      [{ ...promotion, percentOff: 101 }, "percentOff"],
      [{ ...noDiscount, amountOff: 0 }, "amountOff"],
      [{ ...promotion, endsAt: promotion.startsAt }, "endsAt"],
      [{ ...promotion, startsAt: "next monday" }, "startsAt"],
      [{ ...promotion, skus: [] }, "skus"],
      [{ ...promotion, skus: ["A", "A"] }, "skus"],
      [{ ...promotion, skus: ["not a sku"] }, "skus.0"],
    ];
    for (const [body, path] of cases) {
      const response = await call("PUT", "/v1/promotions/p-1", { key: tenant.adminKey, body });
      expectProblem(response, 400, "validation_failed");
      expect(errorPaths(response)).toContain(path);
    }
    expectProblem(await call("GET", "/v1/promotions/p-1", { key: tenant.adminKey }), 404, "not_found");
  });
});
