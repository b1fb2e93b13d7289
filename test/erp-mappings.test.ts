import { describe, expect, it } from "vitest";
import { call, createKey, createTenant } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";

quietAccessLog();

describe("ERP column mappings", () => {
  it("are stored per import type and read back; until then the default maps each field to its own column", async () => {
    const tenant = await createTenant();
    const before = await call("GET", "/v1/erp/mappings/prices", { key: tenant.adminKey });
    expect(before.body).toMatchObject({ type: "prices", columns: { sku: "sku", price: "price", currency: "currency" }, amounts: "minor", updatedAt: null });

    const body = { columns: { Artikel: "sku", Preis: "price" }, amounts: "decimal", decimalSeparator: ",", thousandsSeparator: ".", dateFormat: "DD.MM.YYYY", delimiter: ";", currency: "EUR" };
    const put = await call("PUT", "/v1/erp/mappings/prices", { key: tenant.adminKey, body });
    expect(put.status).toBe(200);
    const erpKey = await createKey(tenant, { role: "erp" });
    expect((await call("GET", "/v1/erp/mappings/prices", { key: erpKey })).body).toEqual({ type: "prices", ...body, barcodeSeparator: "|", updatedAt: expect.any(String) });
    expect((await call("GET", "/v1/erp/mappings/items", { key: erpKey })).body.updatedAt).toBeNull();
  });

  it("that cannot work are 422 mapping_invalid naming each issue, and leave the stored mapping as it was", async () => {
    const tenant = await createTenant();
    const cases: [string, Record<string, unknown>, string][] = [
      ["items", { columns: { SKU: "sku", Name: "name", Price: "price", Cost: "price" }, currency: "USD" }, "field price is mapped twice"],
      ["items", { columns: { SKU: "sku", Price: "price" }, currency: "USD" }, "field name is not mapped"],
      ["stock", { columns: { SKU: "sku", Store: "location", Qty: "onHand", Colour: "colour" } }, 'column "Colour" maps to colour'],
      ["prices", { columns: { SKU: "sku", Price: "price" }, decimalSeparator: ",", thousandsSeparator: "," , currency: "USD" }, "both"],
      ["prices", { columns: { SKU: "sku", Price: "price" } }, "prices need a currency"],
    ];
    for (const [type, body, issue] of cases) {
      const response = await call("PUT", `/v1/erp/mappings/${type}`, { key: tenant.adminKey, body });
      expectProblem(response, 422, "mapping_invalid");
      expect((response.body.issues as string[]).join("; ")).toContain(issue);
    }
    expect((await call("GET", "/v1/erp/mappings/items", { key: tenant.adminKey })).body.updatedAt).toBeNull();
    expectProblem(await call("PUT", "/v1/erp/mappings/colours", { key: tenant.adminKey, body: cases[0]![1] }), 400, "validation_failed");
  });

  it("are changed by admins only; an erp key may read them and import, a store key neither", async () => {
    const tenant = await createTenant();
    const erpKey = await createKey(tenant, { role: "erp" });
    await call("PUT", "/v1/locations/store-a", { key: tenant.adminKey, body: { type: "store" } });
    const storeKey = await createKey(tenant, { role: "store", location: "store-a" });
    const body = { columns: { SKU: "sku", Price: "price" }, currency: "USD" };
    expectProblem(await call("PUT", "/v1/erp/mappings/prices", { key: erpKey, body }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/erp/mappings/prices", { key: storeKey }), 403, "forbidden");
    expectProblem(await call("POST", "/v1/erp/imports?type=prices", { key: storeKey, rawBody: "[]" }), 403, "forbidden");
  });
});
