import { describe, expect, it } from "vitest";
import { call, createStockedTenant, reserve, setStock, unique, type ApiResponse, type TestTenant } from "./api.ts";
import { httpLedger } from "./fixtures-model.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";

const attempts = 500;

/** Fires every reservation at once, each with its own Idempotency-Key, and sorts the answers by status. */
async function reserveAllAtOnce(tenant: TestTenant, sku: string, bodyOf: (index: number) => Record<string, unknown>) {
  const answers = await Promise.all(Array.from({ length: attempts }, (_, index) => reserve(tenant, sku, { qty: 1, reference: `order-${index}`, ...bodyOf(index) })));
  const granted = answers.filter((answer) => answer.status === 201);
  const refused = answers.filter((answer) => answer.status !== 201);
  return { granted, refused };
}

function expectRefusedForStock(refused: readonly ApiResponse[]): void {
  for (const answer of refused) {
    expectProblem(answer, 409, "insufficient_stock");
    expect(answer.body).toMatchObject({ requested: 1, available: 0 });
  }
}

/** The ledger's reservation entries: how many, their reservedDelta per location, and which reservations they belong to. */
async function reservationEntries(tenant: TestTenant, sku: string) {
  const entries = (await httpLedger(tenant, sku)).filter((entry) => entry.type === "reservation");
  const reservedDelta: Record<string, number> = {};
  for (const entry of entries) reservedDelta[entry.location] = (reservedDelta[entry.location] ?? 0) + entry.reservedDelta;
  return { count: entries.length, reservedDelta, reservationIds: new Set(entries.map((entry) => entry.reservationId)) };
}

describe("concurrent reservations", () => {
  // 500 requests would print 500 access-log lines.
  quietAccessLog();

  it("grants exactly the 200 available units of a one-location pool to 500 simultaneous reservations", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    await setStock(tenant, sku, "store-a", 203, 3);

    // Half at the location, half against the pos pool (store-a only): both paths compete for the same units.
    const { granted, refused } = await reserveAllAtOnce(tenant, sku, (index) => (index % 2 === 0 ? { channel: "pos", location: "store-a" } : { channel: "pos" }));

    expect({ granted: granted.length, refused: refused.length }).toEqual({ granted: 200, refused: 300 });
    expectRefusedForStock(refused);
    const ids = new Set(granted.map((answer) => answer.body.id as string));
    expect(ids.size).toBe(200);
    for (const answer of granted) expect(answer.body).toMatchObject({ status: "active", qty: 1, allocations: [{ location: "store-a", qty: 1 }] });

    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.locations).toEqual([{ location: "store-a", onHand: 203, safetyStock: 3, reserved: 200, leased: 0, available: 0 }]);
    expect(inventory.body.totals).toEqual({ onHand: 203, safetyStock: 3, reserved: 200, leased: 0, available: 0 });

    const ledger = await reservationEntries(tenant, sku);
    expect(ledger.count).toBe(200);
    expect(ledger.reservedDelta).toEqual({ "store-a": 200 });
    expect(ledger.reservationIds).toEqual(ids);
  });

  it("spreads 200 grants over a three-location pool and refuses the other 300", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    // web's pool is wh-1, store-a, store-b, in that order: 80 + 70 + 50 = 200 available.
    await setStock(tenant, sku, "wh-1", 80);
    await setStock(tenant, sku, "store-a", 75, 5);
    await setStock(tenant, sku, "store-b", 50);

    const { granted, refused } = await reserveAllAtOnce(tenant, sku, () => ({ channel: "web" }));

    expect({ granted: granted.length, refused: refused.length }).toEqual({ granted: 200, refused: 300 });
    expectRefusedForStock(refused);
    const grantedAt: Record<string, number> = {};
    for (const answer of granted) {
      const allocations = answer.body.allocations as { location: string; qty: number }[];
      expect(allocations).toHaveLength(1);
      expect(allocations[0]!.qty).toBe(1);
      grantedAt[allocations[0]!.location] = (grantedAt[allocations[0]!.location] ?? 0) + 1;
    }
    expect(grantedAt).toEqual({ "wh-1": 80, "store-a": 70, "store-b": 50 });

    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.locations).toEqual([
      { location: "store-a", onHand: 75, safetyStock: 5, reserved: 70, leased: 0, available: 0 },
      { location: "store-b", onHand: 50, safetyStock: 0, reserved: 50, leased: 0, available: 0 },
      { location: "wh-1", onHand: 80, safetyStock: 0, reserved: 80, leased: 0, available: 0 },
    ]);
    expect(inventory.body.totals).toMatchObject({ reserved: 200, available: 0 });

    const ledger = await reservationEntries(tenant, sku);
    expect(ledger.count).toBe(200);
    expect(ledger.reservedDelta).toEqual({ "wh-1": 80, "store-a": 70, "store-b": 50 });
    expect(ledger.reservationIds).toEqual(new Set(granted.map((answer) => answer.body.id as string)));
  });

  it("keeps the channel's buffer out of reach under 500 simultaneous pool reservations", async () => {
    const tenant = await createStockedTenant();
    const sku = unique("sku");
    const channel = await call("PUT", "/v1/channels/web", { key: tenant.adminKey, body: { locations: ["wh-1", "store-a", "store-b"], bufferUnits: 20 } });
    expect(channel.status).toBe(200);
    await setStock(tenant, sku, "wh-1", 100);
    await setStock(tenant, sku, "store-b", 120);

    const { granted, refused } = await reserveAllAtOnce(tenant, sku, () => ({ channel: "web" }));

    expect({ granted: granted.length, refused: refused.length }).toEqual({ granted: 200, refused: 300 });
    for (const answer of refused) expectProblem(answer, 409, "insufficient_stock");
    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.totals).toEqual({ onHand: 220, safetyStock: 0, reserved: 200, leased: 0, available: 20 });
    expect((await reservationEntries(tenant, sku)).count).toBe(200);
  });
});
