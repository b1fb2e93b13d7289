import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { erpImport } from "../durable/objects.ts";
import { call, createTenant, type TestTenant } from "./api.ts";
import { importAndSettle, postImport, settleImport, spreadsheetCsv } from "./erp-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";

quietAccessLog();

/** A CRM's export as it names its columns. */
const crmMapping = {
  columns: { "Customer No.": "id", "E-Mail": "email", Mobile: "phone", Name: "name", Points: "points" },
  thousandsSeparator: ",",
};

async function foundIds(tenant: TestTenant, query: Record<string, string>): Promise<string[]> {
  const found = await call("GET", `/v1/customers?${new URLSearchParams(query)}`, { key: tenant.adminKey });
  expect(found.status).toBe(200);
  return found.body.customers.map((customer: { id: string }) => customer.id);
}

async function loyaltyOf(tenant: TestTenant, customerId: string) {
  const account = await call("GET", `/v1/customers/${customerId}/loyalty`, { key: tenant.adminKey });
  expect(account.status).toBe(200);
  return account.body as { balance: number; ledger: { entries: { type: string; source: string; balanceDelta: number }[] } };
}

/**
 * What a crash right after the directory and the loyalty objects answered
 * leaves: the import object's own tables as they were before the batch's
 * closing transaction. The alarm then applies the whole batch again.
 */
async function crashBeforeClosingBatch(tenant: TestTenant, importId: string, apply: () => Promise<unknown>): Promise<void> {
  const stub = erpImport(env, tenant.id, importId);
  const tables = ["import_meta", "pending_rows", "report_lines"];
  const before = await runInDurableObject(stub, (_instance, state) => Object.fromEntries(tables.map((table) => [table, state.storage.sql.exec(`SELECT * FROM ${table}`).toArray()])));
  await apply();
  await runInDurableObject(stub, async (_instance, state) => {
    for (const table of tables) {
      state.storage.sql.exec(`DELETE FROM ${table}`);
      for (const row of before[table]!) {
        const columns = Object.keys(row);
        state.storage.sql.exec(`INSERT INTO ${table} (${columns.map((column) => `"${column}"`).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`, ...Object.values(row));
      }
    }
    await state.storage.setAlarm(Date.now());
  });
}

describe("a customers import", () => {
  it("reads a CRM's CSV through its mapping: contact normalised as PUT does, opening points credited; a bad row is reported and changes nothing", async () => {
    const tenant = await createTenant();
    expect((await call("PUT", "/v1/customers/settings", { key: tenant.adminKey, body: { defaultCountry: "GB" } })).status).toBe(200);
    expect((await call("PUT", "/v1/erp/mappings/customers", { key: tenant.adminKey, body: crmMapping })).status).toBe(200);
    expect((await call("PUT", "/v1/customers/CRM-3", { key: tenant.adminKey, body: { email: "lee@old.example" } })).status).toBe(200);
    const csv = spreadsheetCsv([
      '"Customer No.","E-Mail",Mobile,Name,Points',
      'CRM-1, Jane.Doe@Example.COM ,07700 900123,Jane Doe,"1,200"',
      "CRM-2,sam@example.org,+44 7700 900456,Sam,0",
      "CRM-3,lee@example.net,12,Lee,300",
      "CRM-4,kim@example.com,,Kim,-5",
    ]);

    const report = await importAndSettle(tenant, "customers", csv);
    expect(report.rows).toEqual({ received: 4, accepted: 2, rejected: 2, ignored: 0, pending: 0 });
    expect(report.lines).toEqual([
      { row: 4, column: "phone", outcome: "rejected", reason: expect.stringContaining("phone cannot be read"), code: "invalid_phone" },
      { row: 5, column: "Points", outcome: "rejected", reason: "points -5 is negative: an opening balance is zero or more", code: null },
    ]);

    expect(await foundIds(tenant, { email: "jane.doe@example.com" })).toEqual(["CRM-1"]);
    expect(await foundIds(tenant, { phone: "+447700900123" })).toEqual(["CRM-1"]);
    expect((await call("GET", "/v1/customers/CRM-1", { key: tenant.adminKey })).body).toMatchObject({ email: "jane.doe@example.com", phone: "+447700900123", name: "Jane Doe" });
    const jane = await loyaltyOf(tenant, "CRM-1");
    expect(jane.balance).toBe(1200);
    expect(jane.ledger.entries).toMatchObject([{ type: "earn", source: "import", balanceDelta: 1200 }]);
    expect((await loyaltyOf(tenant, "CRM-2")).ledger.entries).toEqual([]);

    // The rejected rows: CRM-3 keeps its old contact and has no points, CRM-4 was never written.
    expect((await call("GET", "/v1/customers/CRM-3", { key: tenant.adminKey })).body).toMatchObject({ email: "lee@old.example", name: null });
    expect((await loyaltyOf(tenant, "CRM-3")).balance).toBe(0);
    expect((await call("GET", "/v1/customers/CRM-4", { key: tenant.adminKey })).status).toBe(404);
  });

  it("from JSON credits opening points once: the same import re-sent, and its batch applied again after a crash, change nothing", async () => {
    const tenant = await createTenant();
    const rows = [
      { id: "A-1", email: "ann@example.com", name: "Ann", points: 50 },
      { id: "B-1", email: "bob@example.com", phone: "+44 7700 900789", loyaltyId: "LOY-7", points: 20 },
    ];
    const body = JSON.stringify(rows);
    const posted = await postImport(tenant, "customers", body, { id: "crm-2026-12-01", contentType: "application/json" });
    expect(posted.status).toBe(202);
    await crashBeforeClosingBatch(tenant, "crm-2026-12-01", () => settleImport(tenant, "crm-2026-12-01"));
    const stored = (await call("GET", "/v1/customers/B-1", { key: tenant.adminKey })).body;

    const report = await settleImport(tenant, "crm-2026-12-01");
    expect(report.rows).toEqual({ received: 2, accepted: 2, rejected: 0, ignored: 0, pending: 0 });
    const resent = await postImport(tenant, "customers", body, { id: "crm-2026-12-01", contentType: "application/json" });
    expect(resent.status).toBe(200);

    expect((await call("GET", "/v1/customers/B-1", { key: tenant.adminKey })).body).toEqual(stored);
    expect(stored).toMatchObject({ email: "bob@example.com", phone: "+447700900789", loyaltyId: "LOY-7" });
    expect((await loyaltyOf(tenant, "A-1")).balance).toBe(50);
    const bob = await loyaltyOf(tenant, "B-1");
    expect(bob.balance).toBe(20);
    expect(bob.ledger.entries).toHaveLength(1);
  });

  it("merges a duplicate email in the file by the directory's rule, its points going to the survivor; with merging off both stay", async () => {
    const csv = "id,email,points\nC-1,cat@example.com,40\nC-2,CAT@example.com,15\n";

    const merging = await createTenant();
    expect((await importAndSettle(merging, "customers", csv)).rows).toMatchObject({ accepted: 2, rejected: 0 });
    expect(await foundIds(merging, { email: "cat@example.com" })).toEqual(["C-1"]);
    expect((await call("GET", "/v1/customers/C-2", { key: merging.adminKey })).body.mergedInto).toBe("C-1");
    expect((await loyaltyOf(merging, "C-1")).balance).toBe(55);
    expect((await loyaltyOf(merging, "C-2")).balance).toBe(0);

    const apart = await createTenant();
    expect((await call("PUT", "/v1/customers/settings", { key: apart.adminKey, body: { mergeDuplicates: false } })).status).toBe(200);
    await importAndSettle(apart, "customers", csv);
    expect(await foundIds(apart, { email: "cat@example.com" })).toEqual(["C-1", "C-2"]);
    expect((await loyaltyOf(apart, "C-1")).balance).toBe(40);
    expect((await loyaltyOf(apart, "C-2")).balance).toBe(15);
  });
});
