import { describe, expect, it } from "vitest";
import { call, createKey, createTenant } from "./api.ts";
import { importAndSettle } from "./erp-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";

quietAccessLog();

// The catalog decides an applied batch's rows in memory and writes them at the end: each row must still see the rows before it.
describe("rows applied in one batch", () => {
  it("see the rows before them: a SKU twice keeps its last row, a barcode moves between SKUs, a barcode taken earlier in the batch is refused", async () => {
    const tenant = await createTenant();
    await call("PUT", "/v1/catalog/items/OLD-1", { key: tenant.adminKey, body: { name: "Old", barcodes: ["0000000000017"], price: 100, currency: "USD" } });
    const csv = [
      "sku,name,price,currency,barcodes",
      "A-1,First A,100,USD,1111111111116|2222222222222",
      "B-1,B,200,USD,1111111111116",
      "A-1,Second A,150,USD,3333333333338",
      "B-1,B,250,USD,1111111111116",
      "C-1,C,300,USD,3333333333338",
      "OLD-1,Old,100,USD,0000000000017",
      "D-1,D,400,USD,0000000000017",
      "",
    ].join("\n");
    const report = await importAndSettle(tenant, "items", csv);
    expect(report.rows).toEqual({ received: 7, accepted: 4, rejected: 3, ignored: 0, pending: 0 });
    expect(report.lines).toEqual([
      { row: 3, column: "barcodes", outcome: "rejected", reason: "A barcode belongs to one SKU at a time: 1111111111116 belongs to A-1", code: null },
      { row: 6, column: "barcodes", outcome: "rejected", reason: "A barcode belongs to one SKU at a time: 3333333333338 belongs to A-1", code: null },
      { row: 8, column: "barcodes", outcome: "rejected", reason: "A barcode belongs to one SKU at a time: 0000000000017 belongs to OLD-1", code: null },
    ]);
    const read = async (sku: string) => (await call("GET", `/v1/catalog/items/${sku}`, { key: tenant.adminKey })).body;
    expect(await read("A-1")).toMatchObject({ name: "Second A", price: 150, barcodes: ["3333333333338"] });
    expect(await read("B-1")).toMatchObject({ price: 250, barcodes: ["1111111111116"] });
    expect((await call("GET", "/v1/catalog/items/C-1", { key: tenant.adminKey })).status).toBe(404);
    // OLD-1's row changed nothing: it keeps its feed place, before the items the batch changed.
    await call("PUT", "/v1/locations/store-a", { key: tenant.adminKey, body: { type: "store" } });
    const storeKey = await createKey(tenant, { role: "store", location: "store-a" });
    const feed = await call("GET", "/v1/stores/store-a/feed", { key: storeKey });
    const fed = (feed.body.entries as { kind: string; item?: { sku: string } }[]).filter((entry) => entry.kind === "item").map((entry) => entry.item!.sku);
    expect(fed).toEqual(["OLD-1", "A-1", "B-1"]);

    // The barcodes table follows the items' last rows: what A-1 let go of is free, what A-1 and B-1 hold is not.
    expect((await call("PUT", "/v1/catalog/items/E-1", { key: tenant.adminKey, body: { name: "E", barcodes: ["2222222222222"], price: 1, currency: "USD" } })).status).toBe(200);
    expect((await call("PUT", "/v1/catalog/items/F-1", { key: tenant.adminKey, body: { name: "F", barcodes: ["3333333333338"], price: 1, currency: "USD" } })).status).toBe(409);
    expect((await call("PUT", "/v1/catalog/items/F-1", { key: tenant.adminKey, body: { name: "F", barcodes: ["1111111111116"], price: 1, currency: "USD" } })).status).toBe(409);
  });
});
