import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { FinanceLedger } from "../durable/finance-ledger.ts";
import { describe, expect, it } from "vitest";
import { financeLedger } from "../durable/objects.ts";
import { ManualClock } from "../shared/clock.ts";
import { call, createKey, createTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { completeAccounts, financeSettings } from "./finance-fixtures.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";

quietAccessLog();

describe("finance settings that could not post a balanced journal are refused, and nothing changes", () => {
  it("an incomplete mapping is 422 account_mapping_incomplete naming every gap; an unknown tender type 422 unknown_tender_type; a bad time zone or cut-off 400", async () => {
    const tenant = await createTenant();
    const good = financeSettings();
    expect((await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: good })).status).toBe(200);

    const { overShort: _overShort, ...withoutOverShort } = completeAccounts;
    const incomplete = await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: financeSettings({ accounts: { ...withoutOverShort, taxPayable: { vat: "2210" }, tenderClearing: { cash: "1010" } } }) });
    expectProblem(incomplete, 422, "account_mapping_incomplete");
    expect(incomplete.body.missing).toEqual(["accounts.overShort", "accounts.taxPayable.tax", "accounts.tenderClearing.card"]);

    const noChannelDefault = await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: financeSettings({ accounts: { ...completeAccounts, channelClearing: { byChannel: { web: "1210" } } } }) });
    expectProblem(noChannelDefault, 422, "account_mapping_incomplete");
    expect(noChannelDefault.body.missing).toEqual(["accounts.channelClearing.default"]);

    const bitcoin = await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: financeSettings({ accounts: { ...completeAccounts, tenderClearing: { cash: "1010", card: "1020", bitcoin: "1090" } } }) });
    expectProblem(bitcoin, 422, "unknown_tender_type");
    expect(bitcoin.body.unknown).toEqual(["bitcoin"]);
    expectProblem(await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: financeSettings({ accounts: { ...completeAccounts, tenderClearing: { cash: "1010", card: "1020", gift_card: "1030" } } }) }), 422, "unknown_tender_type");

    expectProblem(await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: financeSettings({ timeZone: "Mars/Olympus_Mons" }) }), 400, "validation_failed");
    expectProblem(await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: financeSettings({ cutoff: "25:00" }) }), 400, "validation_failed");
    expectProblem(await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: { ...good, accounts: { ...completeAccounts, sales: "4000" } } }), 400, "validation_failed");

    expect((await call("GET", "/v1/finance/accounts", { key: tenant.adminKey })).body).toEqual(good);
  });

  it("only an admin sets the mapping; a store key reads no books", async () => {
    const tenant = await createTenant();
    const readonly = await createKey(tenant, { role: "readonly" });
    expectProblem(await call("PUT", "/v1/finance/accounts", { key: readonly, body: financeSettings() }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/finance/accounts", { key: tenant.adminKey }), 404, "not_found");
    await call("PUT", "/v1/locations/store-a", { key: tenant.adminKey, body: { type: "store" } });
    const storeKey = await createKey(tenant, { role: "store", location: "store-a" });
    expectProblem(await call("GET", "/v1/finance/journals", { key: storeKey }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/finance/journals/JE-nope-2026-11-23-store-a-pos-0", { key: tenant.adminKey }), 404, "not_found");
    expectProblem(await call("GET", "/v1/finance/journals/JE-nope/export", { key: tenant.adminKey }), 404, "not_found");
    expectProblem(await call("GET", "/v1/finance/export?date=2026-13-01", { key: tenant.adminKey }), 400, "validation_failed");
  });

  it("without a complete mapping nothing is posted, even past the cut-off; the mapping, once put, posts the day", async () => {
    const tenant = await createTenant();
    const ledger = financeLedger(env, tenant.id);
    const clock = new ManualClock(Date.parse("2026-11-20T16:00:00Z"));
    await useClock(ledger, clock);
    await ledger.contribute([
      {
        kind: "pos",
        location: "store-a",
        transaction: { transactionId: "T1", terminalId: "T01", type: "sale", currency: "USD", lines: [{ sku: "A", qty: 1, unitPrice: 500, discount: 0, tax: 0 }], tenders: [{ type: "cash", amount: 500 }], occurredAt: "2026-11-20T15:00:00.000Z" },
      },
    ]);
    clock.advance(2 * 24 * 60 * 60 * 1000);
    expect(await runInDurableObject(ledger, (instance: FinanceLedger) => instance.closeDueDays())).toEqual({ posted: [], nextClose: null });
    expect((await ledger.listJournals({ after: 0, limit: 10 })).journals).toEqual([]);
    expect((await ledger.putSettings(financeSettings())).ok).toBe(true);
    await runDurableObjectAlarm(ledger);
    expect((await ledger.listJournals({ after: 0, limit: 10 })).journals.map((journal) => journal.id)).toEqual([`JE-${tenant.id}-2026-11-20-store-a-pos-0`]);
  });
});
