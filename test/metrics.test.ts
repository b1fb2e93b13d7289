import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { throughputOf } from "../workers/metrics.ts";
import { usageMeter } from "../workers/usage-meter.ts";
import { call, createKey, createStockedTenant, reserve, setStock, unique } from "./api.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { orderBody, submitOrder } from "./order-api.ts";
import { catalogedSku, createStore, numbered, posTransaction, sendBatch, txId } from "./store-fixtures.ts";

type Series = { metric: string; points: { hour: string; count: number }[] };

/** Each metric's count over the day (a fresh tenant: all of it from the test, in the last hour or two). */
async function dayTotals(key: string): Promise<Record<string, number>> {
  const answer = await call("GET", "/v1/metrics/throughput", { key });
  expect(answer.status).toBe(200);
  return Object.fromEntries((answer.body.series as Series[]).map((series) => [series.metric, series.points.reduce((sum, point) => sum + point.count, 0)]));
}

describe("throughput per hour, for the console's charts", () => {
  quietAccessLog();
  beforeEach(() => {
    usageMeter.flushCalls = 1;
  });
  afterEach(() => {
    usageMeter.flushCalls = 100;
  });

  it("counts POS transactions accepted, reservations taken and orders admitted, each once, in the hour they happened, over a day of hours", async () => {
    const store = await createStore();
    const sku = await catalogedSku(store, 50);
    const batch = await sendBatch(store.storeKey, "store-a", numbered(1, [posTransaction(txId("a"), [{ sku, qty: 1 }]), posTransaction(txId("b"), [{ sku, qty: 1 }])]));
    expect(batch.status).toBe(200);
    // A resend is all duplicates: nothing more is counted.
    await sendBatch(store.storeKey, "store-a", numbered(1, batch.body.results.map((r) => posTransaction(r.transactionId!, [{ sku, qty: 1 }]))));

    const tenant = store.tenant;
    await setStock(tenant, sku, "wh-1", 10);
    const webKey = await createKey(tenant, { role: "channel", channel: "web" });
    const idempotencyKey = unique("idem");
    expect((await reserve({ ...tenant, adminKey: webKey }, sku, { qty: 1, channel: "web" }, idempotencyKey)).status).toBe(201);
    // The same reservation again (its Idempotency-Key) is a replay, not a reservation.
    expect((await reserve({ ...tenant, adminKey: webKey }, sku, { qty: 1, channel: "web" }, idempotencyKey)).status).toBe(201);
    expect((await submitOrder(tenant.adminKey, orderBody([[sku, 1]]))).status).toBe(201);

    await expect.poll(() => dayTotals(tenant.adminKey)).toEqual({ pos_transactions: 2, reservations: 1, orders: 1 });
    const day = await call("GET", "/v1/metrics/throughput", { key: tenant.adminKey });
    expect(day.body.source).toBe("edge");
    for (const series of day.body.series as Series[]) {
      expect(series.points).toHaveLength(24);
      // Counted now: in the current hour (or the one before, had the hour turned during the test).
      expect(series.points.slice(0, 22).every((point) => point.count === 0)).toBe(true);
      const hours = series.points.map((point) => Date.parse(point.hour));
      expect(hours.every((hour, i) => i === 0 || hour - hours[i - 1]! === 3_600_000)).toBe(true);
    }
    expect(Date.parse(day.body.to) - Date.parse(day.body.from)).toBe(24 * 3_600_000);
  });

  it("answers admin and readonly keys only, and refuses a window it cannot chart", async () => {
    const tenant = await createStockedTenant();
    const readonly = await createKey(tenant, { role: "readonly" });
    expect((await call("GET", "/v1/metrics/throughput?hours=168", { key: readonly })).body.series[0].points).toHaveLength(168);
    expectProblem(await call("GET", "/v1/metrics/throughput", { key: await createKey(tenant, { role: "channel", channel: "web" }) }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/metrics/throughput?hours=0", { key: tenant.adminKey }), 400, "validation_failed");
    expectProblem(await call("GET", "/v1/metrics/throughput?hours=169", { key: tenant.adminKey }), 400, "validation_failed");
  });
});

describe("throughput read from Workers Analytics Engine where deployed", () => {
  it("asks the SQL API for the tenant's hourly sums, weighted by the sample interval, and charts them beside the exact order counts", async () => {
    const tenant = await createStockedTenant();
    const now = Date.UTC(2026, 11, 2, 10, 30);
    const asked: { url: string; authorization: string | null; query: string }[] = [];
    // Cloudflare's SQL API is outside our system: the one thing faked here.
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      asked.push({ url: request.url, authorization: request.headers.get("authorization"), query: await request.text() });
      const hour = (h: number) => Date.UTC(2026, 11, 2, h) / 1000;
      return Response.json({ meta: [], data: [{ metric: "pos_transactions", hour: hour(9), count: 120 }, { metric: "reservations", hour: hour(10), count: "7.0" }], rows: 2 });
    });
    try {
      const read = await throughputOf({ ...env, METRICS_ACCOUNT_ID: "acct-1", METRICS_API_TOKEN: "token-1" } as Env, tenant.id, 3, now);
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({ url: "https://api.cloudflare.com/client/v4/accounts/acct-1/analytics_engine/sql", authorization: "Bearer token-1" });
      expect(asked[0]!.query).toContain(`index1 = '${tenant.id}'`);
      expect(asked[0]!.query).toContain("SUM(_sample_interval * double1)");
      expect(asked[0]!.query).toContain(`toDateTime(${Date.UTC(2026, 11, 2, 8) / 1000})`);
      expect(read.source).toBe("analytics_engine");
      expect(read.series.map((series) => [series.metric, series.points.map((point) => point.count)])).toEqual([
        ["pos_transactions", [0, 120, 0]],
        ["reservations", [0, 0, 7]],
        ["orders", [0, 0, 0]],
      ]);
    } finally {
      fetchSpy.mockRestore();
    }
  });
});
