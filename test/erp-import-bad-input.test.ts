import { describe, expect, it } from "vitest";
import { call, createTenant, setStock } from "./api.ts";
import { getImport, importAndSettle, postImport, spreadsheetCsv } from "./erp-fixtures.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";

quietAccessLog();

const item = (sku: string, price: number) => ({ name: `Item ${sku}`, barcodes: [], price, currency: "USD" });

describe("bad ERP input", () => {
  it("each bad row is one report line (row, column, reason) and nothing of it is applied; good rows around it are", async () => {
    const tenant = await createTenant();
    await call("PUT", "/v1/erp/mappings/items", { key: tenant.adminKey, body: { columns: { SKU: "sku", Name: "name", Price: "price" }, amounts: "decimal", currency: "USD" } });
    const csv = spreadsheetCsv([
      "SKU,Name,Price",
      "GOOD-1,Good one,1.00",
      'BAD-QUOTE,"Blue "shirt",2.00',
      "BAD-FIELDS,Too,many,fields",
      "BAD-PRICE,Negative,-3.00",
      "BAD-CENTS,Too precise,3.001",
      "bad sku,Spaces,3.00",
      "BAD-NAME,,3.00",
      "GOOD-2,Good two,5.00",
    ]);
    const report = await importAndSettle(tenant, "items", csv);
    expect(report.rows).toEqual({ received: 8, accepted: 2, rejected: 6, ignored: 0, pending: 0 });
    expect(report.lines.map(({ row, column, outcome }) => ({ row, column, outcome }))).toEqual([
      { row: 3, column: null, outcome: "rejected" },
      { row: 4, column: null, outcome: "rejected" },
      { row: 5, column: "Price", outcome: "rejected" },
      { row: 6, column: "Price", outcome: "rejected" },
      { row: 7, column: "SKU", outcome: "rejected" },
      { row: 8, column: "Name", outcome: "rejected" },
    ]);
    expect(report.lines[0]!.reason).toContain("unreadable CSV");
    expect(report.lines[1]!.reason).toBe("expected 3 fields as in the header, found 4");
    expect(report.lines[2]!.reason).toContain("negative");
    for (const sku of ["BAD-QUOTE", "BAD-FIELDS", "BAD-PRICE", "BAD-CENTS", "BAD-NAME"]) expectProblem(await call("GET", `/v1/catalog/items/${sku}`, { key: tenant.adminKey }), 404, "not_found");
    expect((await call("GET", "/v1/catalog/items/GOOD-2", { key: tenant.adminKey })).body.price).toBe(500);
  });

  it("prices: an unknown SKU and a currency mismatch are report lines; the known item's other fields stay", async () => {
    const tenant = await createTenant();
    await call("PUT", "/v1/catalog/items/KNOWN-1", { key: tenant.adminKey, body: { ...item("KNOWN-1", 1000), barcodes: ["0012345678905"] } });
    await call("PUT", "/v1/catalog/items/KNOWN-2", { key: tenant.adminKey, body: item("KNOWN-2", 2000) });
    const report = await importAndSettle(tenant, "prices", "sku,price,currency\nKNOWN-1,1250,USD\nGHOST-9,100,USD\nKNOWN-2,2500,EUR\n");
    expect(report.rows).toMatchObject({ received: 3, accepted: 1, rejected: 2 });
    expect(report.lines).toEqual([
      { row: 3, column: "sku", outcome: "rejected", reason: "unknown SKU GHOST-9: the catalog has no such item", code: null },
      { row: 4, column: "currency", outcome: "rejected", reason: "currency EUR does not match the item's USD", code: null },
    ]);
    expect((await call("GET", "/v1/catalog/items/KNOWN-1", { key: tenant.adminKey })).body).toMatchObject({ price: 1250, barcodes: ["0012345678905"], name: "Item KNOWN-1" });
    expect((await call("GET", "/v1/catalog/items/KNOWN-2", { key: tenant.adminKey })).body.price).toBe(2000);
    expectProblem(await call("GET", "/v1/catalog/items/GHOST-9", { key: tenant.adminKey }), 404, "not_found");
  });

  it("items: a new item in another currency than the catalog's one is a report line", async () => {
    const tenant = await createTenant();
    await call("PUT", "/v1/catalog/items/A-1", { key: tenant.adminKey, body: item("A-1", 1000) });
    const report = await importAndSettle(tenant, "items", JSON.stringify([{ sku: "B-1", name: "B", price: 100, currency: "EUR" }, { sku: "C-1", name: "C", price: 100, currency: "USD" }]), { contentType: "application/json" });
    expect(report.lines).toEqual([{ row: 1, column: "currency", outcome: "rejected", reason: "currency EUR does not match the catalog's USD", code: null }]);
    expect(report.rows).toMatchObject({ accepted: 1, rejected: 1 });
  });

  it("stock: an unknown SKU and an unknown location are report lines", async () => {
    const tenant = await createTenant();
    await call("PUT", "/v1/locations/store-a", { key: tenant.adminKey, body: { type: "store" } });
    await setStock(tenant, "SOCK-1", "store-a", 5);
    const report = await importAndSettle(tenant, "stock", "sku,location,onHand\nSOCK-1,store-a,7\nGHOST-1,store-a,3\nSOCK-1,store-z,3\n", { asOf: new Date(Date.now() - 60_000).toISOString() });
    expect(report.lines.map(({ row, column }) => ({ row, column }))).toEqual([
      { row: 3, column: "sku" },
      { row: 4, column: "location" },
    ]);
    expect((await call("GET", "/v1/inventory/SOCK-1", { key: tenant.adminKey })).body.totals.onHand).toBe(7);
  });

  it("a header without a mapped column is 422 mapping_mismatch, staged nothing and keeps the id free", async () => {
    const tenant = await createTenant();
    await call("PUT", "/v1/erp/mappings/prices", { key: tenant.adminKey, body: { columns: { "Item No.": "sku", "Unit Price": "price" }, currency: "USD" } });
    const refused = await postImport(tenant, "prices", "SKU,Price\nA-1,100\n", { id: "prices-1" });
    expectProblem(refused, 422, "mapping_mismatch");
    expect(refused.body.missingColumns).toEqual(["Item No.", "Unit Price"]);
    expectProblem(await getImport(tenant, "prices-1"), 404, "not_found");
    await call("PUT", "/v1/catalog/items/A-1", { key: tenant.adminKey, body: item("A-1", 1000) });
    expect((await postImport(tenant, "prices", '"Item No.","Unit Price"\nA-1,1.50\n', { id: "prices-1" })).status).toBe(202);
  });

  it("bodies that are not an import are problems: other media types 415, JSON that is not an array 400, a stock count without an as-of time a line", async () => {
    const tenant = await createTenant();
    expectProblem(await postImport(tenant, "items", "<items/>", { contentType: "application/xml" }), 415, "unsupported_media_type");
    expectProblem(await postImport(tenant, "items", '{"sku":"A"}', { contentType: "application/json" }), 400, "validation_failed");
    expectProblem(await postImport(tenant, "items", "[{", { contentType: "application/json" }), 400, "malformed_json");
    expectProblem(await postImport(tenant, "items", ""), 400, "validation_failed");
    expectProblem(await postImport(tenant, "colours", "a\n1\n"), 400, "validation_failed");
    await call("PUT", "/v1/locations/store-a", { key: tenant.adminKey, body: { type: "store" } });
    const report = await importAndSettle(tenant, "stock", "sku,location,onHand\nSOCK-1,store-a,3\n");
    expect(report.lines).toEqual([{ row: 2, column: "asOf", outcome: "rejected", reason: "the count has no as-of time: map an asOf column or send ?asOf=", code: null }]);
  });
});
