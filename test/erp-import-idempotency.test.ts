import { describe, expect, it } from "vitest";
import { call, createTenant } from "./api.ts";
import { postImport, settleImport } from "./erp-fixtures.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";

quietAccessLog();

const file = "sku,name,price,currency\nA-1,Apple,100,USD\nB-1,Banana,200,USD\n";

describe("the same ERP file twice", () => {
  it("under the same id answers the same import (200) and applies it once; another body under that id is 409 conflict", async () => {
    const tenant = await createTenant();
    const first = await postImport(tenant, "items", file, { id: "items-2026-12-01" });
    expect(first.status).toBe(202);
    await settleImport(tenant, "items-2026-12-01");
    await call("PUT", "/v1/catalog/items/A-1", { key: tenant.adminKey, body: { name: "Apple", price: 150, currency: "USD" } });

    const again = await postImport(tenant, "items", file, { id: "items-2026-12-01" });
    expect(again.status).toBe(200);
    expect(again.headers.get("location")).toBe("/v1/erp/imports/items-2026-12-01");
    expect(again.body).toMatchObject({ id: "items-2026-12-01", status: "done", checksum: first.body.checksum, rows: { accepted: 2 } });
    expect((await call("GET", "/v1/catalog/items/A-1", { key: tenant.adminKey })).body.price).toBe(150);

    const other = await postImport(tenant, "items", file.replace("200", "250"), { id: "items-2026-12-01" });
    expectProblem(other, 409, "conflict");
    expect((await call("GET", "/v1/catalog/items/B-1", { key: tenant.adminKey })).body.price).toBe(200);
  });

  it("under another id (or none) answers the earlier import by its checksum and applies nothing again", async () => {
    const tenant = await createTenant();
    const first = await postImport(tenant, "items", file);
    expect(first.status).toBe(202);
    expect(first.body.id).toMatch(/^imp_/);
    await settleImport(tenant, first.body.id);
    await call("PUT", "/v1/catalog/items/A-1", { key: tenant.adminKey, body: { name: "Apple", price: 150, currency: "USD" } });

    for (const id of ["resent-1", undefined]) {
      const resent = await postImport(tenant, "items", file, { id });
      expect(resent.status).toBe(200);
      expect(resent.body.id).toBe(first.body.id);
      expect(resent.headers.get("location")).toBe(`/v1/erp/imports/${first.body.id}`);
    }
    expectProblem(await call("GET", "/v1/erp/imports/resent-1", { key: tenant.adminKey }), 404, "not_found");
    expect((await call("GET", "/v1/catalog/items/A-1", { key: tenant.adminKey })).body.price).toBe(150);
  });
});
