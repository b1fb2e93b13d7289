import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { financeLedger } from "../durable/objects.ts";
import { businessDate, closeOf } from "../shared/business-day.ts";
import { ManualClock } from "../shared/clock.ts";
import type { Journal, JournalPage, SourceTrace } from "../shared/schemas/finance.ts";
import { call, createStockedTenant, setStock, unique } from "./api.ts";
import { useClock } from "./clock.ts";
import { eventually } from "./event-fixtures.ts";
import { financeSettings, lineTotal, sides } from "./finance-fixtures.ts";
import { quietAccessLog } from "./fixtures.ts";
import { fulfill, orderBody, submitOrder } from "./order-api.ts";

quietAccessLog();

const settings = financeSettings();

async function trace(adminKey: string, kind: "order" | "refund", id: string): Promise<SourceTrace | undefined> {
  const found = await call<SourceTrace>("GET", `/v1/finance/sources/${kind}/${id}`, { key: adminKey });
  return found.status === 200 && found.body.contributions.length > 0 ? found.body : undefined;
}

describe("a refund of a channel order in the books", () => {
  it("debits returns and credits the channel's clearing account by the refund the return earned, in the journal of its location and channel", async () => {
    const tenant = await createStockedTenant();
    const ledger = financeLedger(env, tenant.id);
    const clock = new ManualClock(Date.now());
    await useClock(ledger, clock);
    expect((await call("PUT", "/v1/finance/accounts", { key: tenant.adminKey, body: settings })).status).toBe(200);

    // 3 units at 10.00, 1.00 off, 2.90 tax: 31.90 for the line; two shipped, both come back.
    const sku = unique("sku");
    await setStock(tenant, sku, "wh-1", 10);
    const order = await submitOrder(tenant.adminKey, orderBody([], { lines: [{ sku, qty: 3, unitPrice: 1000, discount: 100, tax: 290 }] }));
    expect(order.status).toBe(201);
    expect((await fulfill(tenant.adminKey, order.body.id, { location: "wh-1", lines: [{ sku, qty: 2 }] })).status).toBe(200);
    const opened = await call("POST", "/v1/returns", { key: tenant.adminKey, idempotencyKey: unique("idem"), body: { orderId: order.body.id, lines: [{ sku, qty: 2, reason: "too small" }] } });
    expect(opened.status).toBe(201);
    const received = await call("POST", `/v1/returns/${opened.body.id}/receive`, {
      key: tenant.adminKey,
      idempotencyKey: unique("idem"),
      body: { location: "wh-1", lines: [{ sku, qty: 2, disposition: "restock" }] },
    });
    expect(received.status).toBe(201);
    // floor(3190 × 2 / 3) = 2126, as the return computed it.
    const refund = received.body.refund.amount as number;
    expect(refund).toBe(2126);

    const refundTrace = await eventually(() => trace(tenant.adminKey, "refund", opened.body.id));
    expect(refundTrace!.contributions).toHaveLength(1);
    expect(refundTrace!.contributions[0]).toMatchObject({ location: "wh-1", channel: "web", externalId: `web:${order.body.externalId}`, journalId: null });
    await eventually(() => trace(tenant.adminKey, "order", order.body.id));

    const date = refundTrace!.contributions[0]!.date;
    expect(date).toBe(businessDate(Date.now(), settings.timeZone));
    clock.advance(closeOf(date, settings.timeZone, settings.cutoff) - clock.now() + 60_000);
    await runDurableObjectAlarm(ledger);
    const page = await call<JournalPage>("GET", `/v1/finance/journals?date=${date}&location=wh-1&channel=web`, { key: tenant.adminKey });
    expect(page.body.journals).toHaveLength(1);
    const journal = (await call<Journal>("GET", `/v1/finance/journals/${page.body.journals[0]!.id}`, { key: tenant.adminKey })).body;

    // The sale of the two units shipped, and the refund of both.
    expect(sides(journal).debit).toBe(sides(journal).credit);
    expect(lineTotal(journal, "returns")).toBe(-refund);
    const sale = { gross: 2 * 1000, discount: Math.floor((100 * 2) / 3), tax: Math.floor((290 * 2) / 3) };
    expect(lineTotal(journal, "gross_sales")).toBe(sale.gross);
    expect(lineTotal(journal, "channel_clearing")).toBe(-(sale.gross - sale.discount + sale.tax) + refund);
    const after = await trace(tenant.adminKey, "refund", opened.body.id);
    expect(after!.contributions[0]!.journalId).toBe(journal.id);
  });
});
