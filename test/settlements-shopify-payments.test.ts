import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { financeLedger } from "../durable/objects.ts";
import payoutFixture from "../fixtures/settlements/shopify-payments-payout.json";
import type { Journal, SourceTrace } from "../shared/schemas/finance.ts";
import type { PayoutPage } from "../shared/schemas/settlements.ts";
import { call } from "./api.ts";
import { eventually } from "./event-fixtures.ts";
import { exceptionsOf, replay } from "./exception-fixtures.ts";
import { lineTotal, sides } from "./finance-fixtures.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { copy, importSettlement, payoutOf, settlementTenant, webOrder } from "./settlement-fixtures.ts";

quietAccessLog();

const payoutId = "shopify-payments:987654321";
/** The Shopify order ids the fixture's balance transactions name (associatedOrder). */
const [firstOrder, secondOrder, lateOrder] = ["5551234001", "5551234002", "5551234099"];

async function traceOf(key: string): Promise<SourceTrace> {
  const trace = await call<SourceTrace>("GET", `/v1/finance/sources/settlement/${payoutId}`, { key });
  expect(trace.status).toBe(200);
  return trace.body;
}

describe("a Shopify Payments payout", () => {
  it("whose charges and refunds all match their orders reconciles: matched + fees + reserves + adjustments = deposit, booked balanced into the ledger", async () => {
    const { tenant, sku } = await settlementTenant();
    const orderIds = [await webOrder(tenant, sku, firstOrder), await webOrder(tenant, sku, secondOrder), await webOrder(tenant, sku, lateOrder)];

    const imported = await importSettlement(tenant.adminKey, "shopify-payments", payoutFixture);
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect(imported.body).toMatchObject({ id: payoutId, source: "shopify-payments", externalId: "987654321", channel: "web", currency: "USD", deposit: 12451, status: "reconciled", difference: 0, lineCount: 6, unmatchedCount: 0, replayed: false });
    expect(imported.body.totals).toEqual({ matched: 15550, unmatched: 0, fees: -599, reserves: -1000, adjustments: -1500, linesNet: 12451, unexplained: 0, difference: 0 });
    const { totals } = imported.body;
    expect(totals.matched + totals.fees + totals.reserves + totals.adjustments).toBe(imported.body.deposit);
    expect(imported.body.missing).toEqual([]);
    expect(imported.body.lines.map((line) => [line.kind, line.amount, line.fee, line.net, line.matched?.orderId ?? null])).toEqual([
      ["charge", 10000, 320, 9680, orderIds[0]],
      ["charge", 4550, 162, 4388, orderIds[1]],
      ["refund", -2000, 0, -2000, orderIds[0]],
      ["reserve", -1000, 0, -1000, null],
      ["adjustment", -1500, 0, -1500, null],
      ["charge", 3000, 117, 2883, orderIds[2]],
    ]);
    expect(await payoutOf(tenant.adminKey, payoutId)).toEqual((({ replayed: _replayed, ...payout }) => payout)(imported.body));

    // Booked once, as one source whose postings balance and clear what the order sales owe on web.
    const [booking] = (await traceOf(tenant.adminKey)).contributions;
    expect(booking).toMatchObject({ source: `settlement:${payoutId}`, kind: "settlement", location: "settlements", channel: "web", date: "2026-11-24" });
    const amounts = Object.fromEntries(booking!.lines.map((line) => [line.detail ? `${line.kind}:${line.detail}` : line.kind, line.amount]));
    expect(amounts).toEqual({ bank: -12451, "channel_clearing:web": 15550, fees: -599, reserves: -1000, settlement_adjustments: -1500 });
    expect(booking!.lines.reduce((total, line) => total + line.amount, 0)).toBe(0);

    // The deposit day closed before the payout came: the ledger posts it at its next alarm as that day's adjustment journal, debits equal credits.
    await runDurableObjectAlarm(financeLedger(env, tenant.id));
    const journalId = `JE-${tenant.id}-2026-11-24-settlements-web-1`;
    const journal: Journal = (await eventually(async () => {
      const found = await call<Journal>("GET", `/v1/finance/journals/${journalId}`, { key: tenant.adminKey });
      return found.status === 200 ? found.body : undefined;
    }))!;
    expect(sides(journal).debit).toBe(sides(journal).credit);
    expect(lineTotal(journal, "bank")).toBe(-12451);
    expect(journal.lines.find((line) => line.kind === "bank")!.account).toBe("1000");
    expect(lineTotal(journal, "channel_clearing", "web")).toBe(15550);

    const listed = await call<PayoutPage>("GET", "/v1/finance/payouts?status=reconciled", { key: tenant.adminKey });
    expect(listed.body.payouts.map((payout) => payout.id)).toEqual([payoutId]);
    expect((await call<PayoutPage>("GET", "/v1/finance/payouts?status=unreconciled", { key: tenant.adminKey })).body.payouts).toEqual([]);
  });

  it("with a charge whose order has not arrived is unreconciled and raises an exception; replayed once the order exists, the line matches and the payout reconciles", async () => {
    const { tenant, sku } = await settlementTenant();
    await webOrder(tenant, sku, firstOrder);
    await webOrder(tenant, sku, secondOrder);

    const imported = await importSettlement(tenant.adminKey, "shopify-payments", payoutFixture);
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ status: "unreconciled", unmatchedCount: 1, difference: 3000 });
    expect(imported.body.totals).toMatchObject({ matched: 12550, unmatched: 3000, unexplained: 0, difference: 3000 });
    expect(imported.body.missing).toEqual([{ line: 6, reference: lateOrder, amount: 3000, reason: `no order ${lateOrder} on channel web` }]);
    expect(imported.body.lines[5]).toMatchObject({ matched: null, unmatchedReason: `no order ${lateOrder} on channel web` });
    const [booking] = (await traceOf(tenant.adminKey)).contributions;
    expect(booking!.lines.find((line) => line.kind === "settlement_suspense")?.amount).toBe(3000);

    const [exception] = await exceptionsOf(tenant, "?type=settlement_line_unmatched");
    expect(exception).toMatchObject({ state: "open", subject: `payout:${payoutId}#6`, correlationId: lateOrder, payload: { payoutId, line: 6, kind: "charge", reference: lateOrder, amount: 3000, currency: "USD" } });
    expect(await exceptionsOf(tenant, "?type=payout_unbalanced")).toEqual([]);

    const tooEarly = await replay(tenant.adminKey, exception!.id);
    expect(tooEarly.body).toMatchObject({ outcome: "failed", detail: `still no order ${lateOrder} on channel web` });

    const lateOrderId = await webOrder(tenant, sku, lateOrder);
    const matched = await replay(tenant.adminKey, exception!.id);
    expect(matched.body).toMatchObject({ outcome: "resolved", exception: { state: "resolved" } });
    const payout = await payoutOf(tenant.adminKey, payoutId);
    expect(payout).toMatchObject({ status: "reconciled", unmatchedCount: 0, difference: 0, missing: [] });
    expect(payout.lines[5]!.matched).toEqual({ orderId: lateOrderId, externalId: lateOrder });

    // The match moved the amount from suspense to web's clearing account, once.
    const contributions = (await traceOf(tenant.adminKey)).contributions;
    expect(contributions.map((c) => c.source)).toEqual([`settlement:${payoutId}`, `settlement:${payoutId}:match:6`]);
    expect(contributions[1]!.lines.map((line) => [line.kind, line.amount])).toEqual([
      ["settlement_suspense", -3000],
      ["channel_clearing", 3000],
    ]);
    expect((await replay(tenant.adminKey, exception!.id)).body.outcome).toBe("already_closed");
    expect((await traceOf(tenant.adminKey)).contributions).toHaveLength(2);
  });

  it("imported twice is applied once; the same payout id with other content is a conflict and changes nothing", async () => {
    const { tenant, sku } = await settlementTenant();
    await webOrder(tenant, sku, firstOrder);
    const first = await importSettlement(tenant.adminKey, "shopify-payments", payoutFixture);
    expect(first.status).toBe(201);
    const again = await importSettlement(tenant.adminKey, "shopify-payments", payoutFixture);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, replayed: true });
    expect((await traceOf(tenant.adminKey)).contributions).toHaveLength(1);
    expect(await exceptionsOf(tenant, "?type=settlement_line_unmatched")).toHaveLength(2);

    const changed = copy(payoutFixture);
    changed.balanceTransactions.nodes[0]!.fee.amount = "3.3";
    changed.balanceTransactions.nodes[0]!.net.amount = "96.7";
    expectProblem(await importSettlement(tenant.adminKey, "shopify-payments", changed), 409, "conflict");
    expect((await payoutOf(tenant.adminKey, payoutId)).lines[0]!.fee).toBe(320);
    expect((await call<PayoutPage>("GET", "/v1/finance/payouts", { key: tenant.adminKey })).body.payouts).toHaveLength(1);
  });

  it("whose deposit is not the sum of its lines is unreconciled by the gap, booked to suspense, with a payout_unbalanced exception a replay cannot clear", async () => {
    const { tenant, sku } = await settlementTenant();
    for (const id of [firstOrder, secondOrder, lateOrder]) await webOrder(tenant, sku, id);
    const short = copy(payoutFixture);
    short.net.amount = "120.0";

    const imported = await importSettlement(tenant.adminKey, "shopify-payments", short);
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ status: "unreconciled", unmatchedCount: 0, deposit: 12000, difference: -451 });
    expect(imported.body.totals).toMatchObject({ linesNet: 12451, unexplained: -451, difference: -451 });
    expect(imported.body.missing).toEqual([{ line: null, reference: null, amount: -451, reason: expect.stringContaining("not the sum of the lines") }]);
    const [booking] = (await traceOf(tenant.adminKey)).contributions;
    expect(booking!.lines.find((line) => line.kind === "settlement_suspense")?.amount).toBe(-451);
    expect(booking!.lines.reduce((total, line) => total + line.amount, 0)).toBe(0);

    const [exception] = await exceptionsOf(tenant, "?type=payout_unbalanced");
    expect(exception).toMatchObject({ state: "open", payload: { payoutId, deposit: 12000, linesNet: 12451, unexplained: -451, currency: "USD" } });
    expect((await replay(tenant.adminKey, exception!.id)).body).toMatchObject({ outcome: "failed", exception: { state: "open" } });
    expect((await call<PayoutPage>("GET", "/v1/finance/payouts?status=unreconciled", { key: tenant.adminKey })).body.payouts.map((p) => p.id)).toEqual([payoutId]);
  });
});
