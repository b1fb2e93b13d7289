import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ErpConnection } from "../durable/erp-connection.ts";
import { erpConnection, financeLedger } from "../durable/objects.ts";
import { connection } from "../durable/schema/erp-connection.ts";
import { businessDate, closeOf } from "../shared/business-day.ts";
import { ManualClock } from "../shared/clock.ts";
import type { ErpConnectionStatus, ErpFileList } from "../shared/schemas/erp-connections.ts";
import type { SourceTrace } from "../shared/schemas/finance.ts";
import { call, setStock } from "./api.ts";
import { useClock } from "./clock.ts";
import { eventually } from "./event-fixtures.ts";
import { financeSettings } from "./finance-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";
import { fulfill, orderBody, submitOrder } from "./order-api.ts";
import { catalogedSku, createStore, handedToLedger, numbered, sendBatch, txId } from "./store-fixtures.ts";

quietAccessLog();

const settings = financeSettings();

describe("the ledger's posted journals handed to an ERP connection", () => {
  it("takes every journal of a closed day (a POS sale and a web order) once, whatever the ledger closes again or the connection reads again", async () => {
    const store = await createStore();
    const { tenant, storeKey } = store;
    const ledger = financeLedger(env, tenant.id);
    const clock = new ManualClock(Date.now());
    await useClock(ledger, clock);
    expect((await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: settings })).status).toBe(200);
    const put = await call("PUT", "/v1/erp/connections/books", { key: tenant.adminKey, body: { type: "file", settings: {} } });
    expect(put.status).toBe(201);

    const sku = await catalogedSku(store, 10);
    const now = new Date().toISOString();
    const date = businessDate(Date.parse(now), settings.timeZone);
    const sale = { transactionId: txId("T01-sale"), terminalId: "T01", type: "sale", lines: [{ sku, qty: 1, unitPrice: 1999, tax: 160 }], tenders: [{ type: "card", amount: 2159 }], occurredAt: now };
    expect((await sendBatch(storeKey, "store-a", numbered(1, [sale]))).body.results[0]!.status).toBe("accepted");
    await handedToLedger(tenant.id, "store-a");
    await setStock(tenant, sku, "wh-1", 5);
    const order = await submitOrder(tenant.adminKey, orderBody([[sku, 2]], { shipping: 500 }));
    expect((await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku, qty: 2 }] })).status).toBe(200);
    await eventually(async () => {
      const trace = await call<SourceTrace>("GET", `/v1/finance/sources/order/${order.body.id}`, { key: tenant.adminKey });
      return trace.body.contributions.length > 0 ? true : undefined;
    });

    const books = erpConnection(env, tenant.id, "books");
    await runDurableObjectAlarm(books);
    expect((await call<ErpFileList>("GET", "/v1/erp/connections/books/files", { key: tenant.adminKey })).body.files).toEqual([]);

    clock.advance(closeOf(date, settings.timeZone, settings.cutoff) - clock.now() + 60_000);
    await runDurableObjectAlarm(ledger);
    await runDurableObjectAlarm(books);
    const expected = [`JE-${tenant.id}-${date}-store-a-pos-0`, `JE-${tenant.id}-${date}-wh-1-web-0`];
    const files = (await call<ErpFileList>("GET", "/v1/erp/connections/books/files", { key: tenant.adminKey })).body.files;
    expect(files.map((file) => file.journalId).sort()).toEqual(expected);
    const status = await call<ErpConnectionStatus>("GET", "/v1/erp/connections/books/status", { key: tenant.adminKey });
    expect(status.body).toMatchObject({ type: "file", state: "idle", pending: { journals: 0, oldestAgeSeconds: null }, lastHour: { posted: 2 } });

    // The day closed again, and the feed read again from its start (a cursor lost): nothing is taken twice.
    await runDurableObjectAlarm(ledger);
    await runInDurableObject(books, (instance: ErpConnection) => {
      Reflect.get(instance, "db").update(connection).set({ cursor: 0 }).run();
    });
    await runDurableObjectAlarm(books);
    const again = (await call<ErpFileList>("GET", "/v1/erp/connections/books/files", { key: tenant.adminKey })).body.files;
    expect(again).toEqual(files);
    expect((await call<ErpConnectionStatus>("GET", "/v1/erp/connections/books/status", { key: tenant.adminKey })).body.lastHour.posted).toBe(2);
  });
});
