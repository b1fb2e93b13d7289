import { describe, expect, it } from "vitest";
import { call, createKey, createTenant } from "./api.ts";
import { importAndSettle, spreadsheetCsv } from "./erp-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";

quietAccessLog();

const itemMapping = {
  columns: { "Item No.": "sku", Description: "name", "Unit Price": "price", Currency: "currency", "Bar Codes": "barcodes" },
  amounts: "decimal",
  thousandsSeparator: ",",
  barcodeSeparator: "|",
};

describe("an items import", () => {
  it("reads a spreadsheet export (BOM, CRLF, quoted fields, thousands separators) into the catalog, and stores' feeds see the items", async () => {
    const tenant = await createTenant();
    expect((await call("PUT", "/v1/erp/mappings/items", { key: tenant.adminKey, body: itemMapping })).status).toBe(200);
    const csv = spreadsheetCsv([
      '"Item No.",Description,"Unit Price",Currency,"Bar Codes"',
      'TSHIRT-RED-M,"T-shirt, red, size M",19.99,USD,0012345678905|0012345678912',
      'SOFA-3,"Sofa ""Oslo"" 3-seat","1,299.00",USD,',
      "MUG-1,Mug,4.5,USD,4006381333931",
    ]);
    const report = await importAndSettle(tenant, "items", csv);
    expect(report).toMatchObject({ status: "done", rows: { received: 3, accepted: 3, rejected: 0, ignored: 0, pending: 0 }, lines: [] });
    // The SHA-256 of the bytes as sent: the checksum tap hands each chunk to the digest and the parser alike.
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(csv)));
    expect(report.checksum).toBe([...digest].map((byte) => byte.toString(16).padStart(2, "0")).join(""));

    const sofa = await call("GET", "/v1/catalog/items/SOFA-3", { key: tenant.adminKey });
    expect(sofa.body).toMatchObject({ name: 'Sofa "Oslo" 3-seat', price: 129900, currency: "USD", barcodes: [] });
    expect((await call("GET", "/v1/catalog/items/TSHIRT-RED-M", { key: tenant.adminKey })).body).toMatchObject({ name: "T-shirt, red, size M", price: 1999, barcodes: ["0012345678905", "0012345678912"] });
    expect((await call("GET", "/v1/catalog/items/MUG-1", { key: tenant.adminKey })).body).toMatchObject({ price: 450 });

    await call("PUT", "/v1/locations/store-a", { key: tenant.adminKey, body: { type: "store" } });
    const storeKey = await createKey(tenant, { role: "store", location: "store-a" });
    const feed = await call("GET", "/v1/stores/store-a/feed", { key: storeKey });
    expect(feed.status).toBe(200);
    const fed = (feed.body.entries as { kind: string; item?: { sku: string } }[]).filter((entry) => entry.kind === "item").map((entry) => entry.item!.sku);
    expect(fed.sort()).toEqual(["MUG-1", "SOFA-3", "TSHIRT-RED-M"]);
  });
});
