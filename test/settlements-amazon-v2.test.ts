import { describe, expect, it } from "vitest";
import settlementFile from "../fixtures/settlements/amazon-v2-settlement.tsv?raw";
import type { SourceTrace } from "../shared/schemas/finance.ts";
import { call } from "./api.ts";
import { exceptionsOf, replay } from "./exception-fixtures.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { importSettlement, payoutOf, settlementTenant, webOrder } from "./settlement-fixtures.ts";

quietAccessLog();

const payoutId = "amazon-v2:12948507001";
const [first, second, late] = ["111-4455667-1000001", "111-4455667-1000002", "111-4455667-1000099"];

/** The fixture with line `line` (the header is line 1) changed by `change`. */
function withLine(line: number, change: (fields: string[]) => string[]): string {
  const lines = settlementFile.split("\r\n");
  lines[line - 1] = change(lines[line - 1]!.split("\t")).join("\t");
  return lines.join("\r\n");
}

describe("an Amazon V2 settlement flat file", () => {
  it("whose orders all exist reconciles: every amount row a line, reserves and reimbursements off any order, booked balanced", async () => {
    const { tenant, sku } = await settlementTenant();
    const orderIds = [await webOrder(tenant, sku, first, "amazon"), await webOrder(tenant, sku, second, "amazon"), await webOrder(tenant, sku, late, "amazon")];

    const imported = await importSettlement(tenant.adminKey, "amazon-v2", settlementFile, "amazon");
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect(imported.body).toMatchObject({
      id: payoutId,
      externalId: "12948507001",
      channel: "amazon",
      currency: "USD",
      deposit: 4955,
      depositDate: "2026-11-26T08:00:00.000Z",
      periodStart: "2026-11-10T08:00:00.000Z",
      periodEnd: "2026-11-24T08:00:00.000Z",
      status: "reconciled",
      lineCount: 17,
    });
    expect(imported.body.totals).toEqual({ matched: 5999, unmatched: 0, fees: -1407, reserves: -500, adjustments: 863, linesNet: 4955, unexplained: 0, difference: 0 });
    const byKind = (kind: string) => imported.body.lines.filter((line) => line.kind === kind).map((line) => [line.sourceLineId, line.amount]);
    expect(byKind("reserve")).toEqual([["18", 5000], ["19", -5500]]);
    expect(byKind("adjustment")).toEqual([["17", 863]]);
    expect(byKind("refund")).toEqual([["11", -2500]]);
    expect(imported.body.lines.filter((line) => line.kind === "charge").map((line) => line.matched?.orderId)).toEqual([orderIds[0], orderIds[0], orderIds[0], orderIds[0], orderIds[1], orderIds[2]]);
    expect(imported.body.lines[0]).toMatchObject({ description: "Order / ItemPrice / Principal", reference: first, occurredAt: "2026-11-18T14:05:31.000Z" });

    const trace = await call<SourceTrace>("GET", `/v1/finance/sources/settlement/${payoutId}`, { key: tenant.adminKey });
    const [booking] = trace.body.contributions;
    expect(Object.fromEntries(booking!.lines.map((line) => [line.detail ? `${line.kind}:${line.detail}` : line.kind, line.amount]))).toEqual({
      bank: -4955,
      "channel_clearing:amazon": 5999,
      fees: -1407,
      reserves: -500,
      settlement_adjustments: 863,
    });
  });

  it("with an order not yet recorded: one exception per amount row of it, matched by replay once the order exists", async () => {
    const { tenant, sku } = await settlementTenant();
    await webOrder(tenant, sku, first, "amazon");
    await webOrder(tenant, sku, second, "amazon");
    const imported = await importSettlement(tenant.adminKey, "amazon-v2", settlementFile, "amazon");
    expect(imported.body).toMatchObject({ status: "unreconciled", unmatchedCount: 1, difference: 1500 });
    expect(imported.body.missing).toEqual([{ line: 12, reference: late, amount: 1500, reason: `no order ${late} on channel amazon` }]);
    const [exception] = await exceptionsOf(tenant, "?type=settlement_line_unmatched");
    expect(exception).toMatchObject({ payload: { payoutId, line: 12, sourceLineId: "14", reference: late, amount: 1500 } });

    await webOrder(tenant, sku, late, "amazon");
    expect((await replay(tenant.adminKey, exception!.id)).body.outcome).toBe("resolved");
    expect(await payoutOf(tenant.adminKey, payoutId)).toMatchObject({ status: "reconciled", difference: 0 });
  });

  it("sent twice is applied once", async () => {
    const { tenant } = await settlementTenant();
    expect((await importSettlement(tenant.adminKey, "amazon-v2", settlementFile, "amazon")).status).toBe(201);
    const again = await importSettlement(tenant.adminKey, "amazon-v2", settlementFile, "amazon");
    expect(again.status).toBe(200);
    expect(again.body.replayed).toBe(true);
    expect(await exceptionsOf(tenant, "?type=settlement_line_unmatched")).toHaveLength(7);
    expect((await call<SourceTrace>("GET", `/v1/finance/sources/settlement/${payoutId}`, { key: tenant.adminKey })).body.contributions).toHaveLength(1);
  });

  it("with a row in another currency, an amount with a decimal comma or a short row is refused whole, each problem on its file line", async () => {
    const { tenant } = await settlementTenant();
    const currency = header("currency");
    const amount = header("amount");
    const euros = withLine(8, (fields) => fields.map((value, i) => (i === currency ? "EUR" : value)));
    const refused = await importSettlement(tenant.adminKey, "amazon-v2", euros, "amazon");
    expectProblem(refused, 422, "settlement_invalid");
    expect(refused.body.problems).toEqual([{ row: 8, field: "currency", reason: "currency EUR differs from the settlement's USD" }]);

    const comma = withLine(3, (fields) => fields.map((value, i) => (i === amount ? "25,00" : value)));
    expect((await importSettlement(tenant.adminKey, "amazon-v2", comma, "amazon")).body.problems).toEqual([
      { row: 3, field: "amount", reason: '"25,00" is not an amount in USD (a dot as decimal separator, at most 2 decimals)' },
    ]);
    const short = withLine(5, (fields) => fields.slice(0, 10));
    const shortRefused = await importSettlement(tenant.adminKey, "amazon-v2", short, "amazon");
    expectProblem(shortRefused, 422, "settlement_invalid");
    expect(shortRefused.body.problems).toEqual([{ row: 5, field: null, reason: "expected 24 tab-separated fields as in the header, found 10" }]);

    expectProblem(await importSettlement(tenant.adminKey, "amazon-v2", "order-id\tamount\r\n1\t2\r\n", "amazon"), 422, "settlement_invalid");
    expectProblem(await call("GET", `/v1/finance/payouts/${payoutId}`, { key: tenant.adminKey }), 404, "not_found");
    expect(await exceptionsOf(tenant)).toEqual([]);
  });
});

function header(column: string): number {
  return settlementFile.split("\r\n")[0]!.split("\t").indexOf(column);
}
