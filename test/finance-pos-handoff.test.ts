import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { financeLedger, storeIngest } from "../durable/objects.ts";
import { ledgerHandOffDelayMs } from "../durable/store-ingest.ts";
import type { SourceTrace } from "../shared/schemas/finance.ts";
import { call } from "./api.ts";
import { financeSettings } from "./finance-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";
import { catalogedSku, createStore, handedToLedger, numbered, posTransaction, sendBatch, txId } from "./store-fixtures.ts";

quietAccessLog();

function outboxRows(state: DurableObjectState): string[] {
  return state.storage.sql.exec<{ transaction_id: string }>("SELECT transaction_id FROM ledger_outbox").toArray().map((row) => row.transaction_id);
}

describe("an accepted POS transaction reaches the books once", () => {
  it("is handed to the ledger by the alarm soon after it is accepted, and handed again after a crash books nothing twice", async () => {
    const store = await createStore();
    const { tenant, storeKey } = store;
    expect((await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: financeSettings() })).status).toBe(200);
    const sku = await catalogedSku(store, 10);
    const saleId = txId("T01-sale");
    expect((await sendBatch(storeKey, "store-a", numbered(1, [posTransaction(saleId, [{ sku, qty: 2 }])]))).body.results[0]!.status).toBe("accepted");

    // The batch is answered without waiting on the books: the ingest's alarm hands it over within a second.
    const ingest = storeIngest(env, tenant.id, "store-a");
    const queued = await runInDurableObject(ingest, async (_instance, state) => ({ rows: outboxRows(state), alarm: await state.storage.getAlarm() }));
    if (queued.rows.length > 0) {
      expect(queued.rows).toEqual([saleId]);
      expect(queued.alarm).not.toBeNull();
      expect(queued.alarm!).toBeLessThanOrEqual(Date.now() + ledgerHandOffDelayMs);
    }
    await handedToLedger(tenant.id, "store-a");
    expect(await runInDurableObject(ingest, (_instance, state) => outboxRows(state))).toEqual([]);
    const trace = async () => (await call<SourceTrace>("GET", `/v1/finance/sources/pos/${saleId}`, { key: tenant.adminKey })).body.contributions;
    expect(await trace()).toHaveLength(1);

    // The ledger booked it, then the ingest died before it deleted its outbox row: the alarm hands it on again.
    await runInDurableObject(ingest, async (_instance, state) => {
      state.storage.sql.exec("INSERT INTO ledger_outbox (transaction_id, queued_at) VALUES (?, ?)", saleId, Date.now());
      await state.storage.setAlarm(Date.now() + 60_000);
    });
    expect(await runDurableObjectAlarm(ingest)).toBe(true);
    expect(await runInDurableObject(ingest, (_instance, state) => outboxRows(state))).toEqual([]);
    const [contribution] = await trace();
    expect(await trace()).toHaveLength(1);
    const grossSales = contribution!.lines.filter((line) => line.kind === "gross_sales");
    expect(grossSales).toEqual([{ kind: "gross_sales", detail: null, line: null, amount: 2 * 1999 }]);
    const open = await runInDurableObject(financeLedger(env, tenant.id), (_instance, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM contributions").one().n);
    expect(open).toBe(1);
  });
});
