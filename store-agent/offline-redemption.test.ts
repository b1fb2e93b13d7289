import { count, eq } from "drizzle-orm";
import { describe, expect } from "vitest";
import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import { loyaltyAllowances, outbox } from "./db/schema.ts";
import { RedemptionDesk } from "./loyalty-allowance.ts";
import type { RunningAgent } from "./main.ts";
import { postJson, sale } from "./testing/fixtures.ts";
import { jane, lookUp, startLoyaltyAgent } from "./testing/loyalty-agent.ts";
import { storeTest } from "./testing/store-test.ts";
import { TestClock } from "./testing/test-clock.ts";

/** A sale by Jane (named by her loyalty card, as a till scans it) redeeming `points`. */
function redeeming(transactionId: string, points: number, extra: Partial<PosTransaction> = {}): PosTransaction {
  return sale(transactionId, { customerId: "LOY-0042", loyalty: { redeem: { points } }, ...extra });
}

async function storedBody(agent: RunningAgent, transactionId: string): Promise<PosTransaction | undefined> {
  const row = await agent.store.db.select({ body: outbox.body }).from(outbox).where(eq(outbox.transactionId, transactionId)).get();
  return row && (JSON.parse(row.body) as PosTransaction);
}

async function storedRows(agent: RunningAgent): Promise<number> {
  const [row] = await agent.store.db.select({ n: count() }).from(outbox);
  return row!.n;
}

async function allowance(agent: RunningAgent) {
  return agent.store.db.select().from(loyaltyAllowances).where(eq(loyaltyAllowances.customerId, "cust-1")).get();
}

/** Jane looked up while online (the store holds 500 of her points), then the link goes down. */
async function offlineAfterLookup(dataDir: string, edge: Parameters<typeof startLoyaltyAgent>[1], overrides: Parameters<typeof startLoyaltyAgent>[3] = {}) {
  edge.putCustomer(jane);
  const clock = new TestClock();
  const started = await startLoyaltyAgent(dataDir, edge, clock, overrides);
  expect((await lookUp(started.agent, started.auth, "LOY-0042")).body).toMatchObject({ redeemableOffline: 500 });
  edge.unreachable = true;
  return { ...started, clock, transactionsUrl: `${started.agent.url}/pos/v1/transactions`, holdId: edge.holds[0]!.id };
}

describe("a sale redeeming points, offline", () => {
  storeTest("within the allowance: recorded naming the store's hold, which the same write marks used", async ({ dataDir, edge }) => {
    const { agent, auth, transactionsUrl, holdId } = await offlineAfterLookup(dataDir.dir, edge);
    try {
      const answer = await postJson(transactionsUrl, redeeming("T01-1", 300), auth);
      expect(answer.status).toBe(201);
      expect((await storedBody(agent, "T01-1"))!.loyalty).toEqual({ redeem: { points: 300, holdId } });
      expect(await allowance(agent)).toMatchObject({ holdId, heldPoints: 500, redeemedPoints: 300, redeemedBy: "T01-1" });
      // The edge releases what a redemption leaves of its hold: the store may not count on the other 200.
      expect((await lookUp(agent, auth, "LOY-0042")).body).toMatchObject({ source: "cache", redeemableOffline: 0 });

      edge.unreachable = false;
      await agent.replayer.pushOnce();
      expect(edge.applied.has("T01-1")).toBe(true);
    } finally {
      await agent.close();
    }
  });

  storeTest("answers a retry with the first receipt and uses the hold once", async ({ dataDir, edge }) => {
    const { agent, auth, transactionsUrl } = await offlineAfterLookup(dataDir.dir, edge);
    try {
      const first = await postJson(transactionsUrl, redeeming("T01-1", 300), auth);
      const retry = await postJson(transactionsUrl, redeeming("T01-1", 300), auth);
      expect([first.status, retry.status]).toEqual([201, 200]);
      expect(retry.body).toEqual(first.body);
      const other = await postJson(transactionsUrl, redeeming("T01-1", 400), auth);
      expect([other.status, other.body.code]).toEqual([409, "conflict"]);
      expect(await storedRows(agent)).toBe(1);
      expect(await allowance(agent)).toMatchObject({ redeemedPoints: 300, redeemedBy: "T01-1" });
    } finally {
      await agent.close();
    }
  });

  storeTest("beyond the allowance, under refuse: 409 redemption_not_covered and nothing recorded; the sale goes through without it", async ({ dataDir, edge }) => {
    const { agent, auth, transactionsUrl } = await offlineAfterLookup(dataDir.dir, edge);
    try {
      const refused = await postJson(transactionsUrl, redeeming("T01-1", 501), auth);
      expect(refused.status).toBe(409);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      expect(refused.body).toMatchObject({ code: "redemption_not_covered", points: 501, redeemableOffline: 500 });
      expect(await storedRows(agent)).toBe(0);

      const withoutRedemption = await postJson(transactionsUrl, sale("T01-1", { customerId: "LOY-0042" }), auth);
      expect(withoutRedemption.status).toBe(201);
      // A hold backs one redemption: after one within it, the next is not covered.
      expect((await postJson(transactionsUrl, redeeming("T01-2", 100), auth)).status).toBe(201);
      expect((await postJson(transactionsUrl, redeeming("T01-3", 100), auth)).body).toMatchObject({ code: "redemption_not_covered", redeemableOffline: 0 });
      // Nor is a customer the store never looked up.
      const stranger = await postJson(transactionsUrl, sale("T01-4", { customerId: "LOY-7777", loyalty: { redeem: { points: 1 } } }), auth);
      expect(stranger.body).toMatchObject({ code: "redemption_not_covered", redeemableOffline: 0 });
      expect(await storedRows(agent)).toBe(2);
    } finally {
      await agent.close();
    }
  });

  storeTest("beyond the allowance, under allow: recorded without a hold, for the edge to settle", async ({ dataDir, edge }) => {
    const { agent, auth, transactionsUrl } = await offlineAfterLookup(dataDir.dir, edge, { offlineRedemption: "allow" });
    try {
      expect((await postJson(transactionsUrl, redeeming("T01-1", 900), auth)).status).toBe(201);
      expect((await storedBody(agent, "T01-1"))!.loyalty).toEqual({ redeem: { points: 900 } });
      expect(await allowance(agent)).toMatchObject({ redeemedPoints: 0, redeemedBy: null });
      expect((await lookUp(agent, auth, "LOY-0042")).body).toMatchObject({ redeemableOffline: 500 });
    } finally {
      await agent.close();
    }
  });

  storeTest("puts the store's hold on the sale whatever hold the terminal named", async ({ dataDir, edge }) => {
    const { agent, auth, transactionsUrl, holdId } = await offlineAfterLookup(dataDir.dir, edge, { offlineRedemption: "allow" });
    try {
      await postJson(transactionsUrl, redeeming("T01-1", 700, { loyalty: { redeem: { points: 700, holdId } } }), auth);
      await postJson(transactionsUrl, redeeming("T01-2", 200, { loyalty: { redeem: { points: 200, holdId: "hld_other" } } }), auth);
      expect((await storedBody(agent, "T01-1"))!.loyalty).toEqual({ redeem: { points: 700 } });
      expect((await storedBody(agent, "T01-2"))!.loyalty).toEqual({ redeem: { points: 200, holdId } });
    } finally {
      await agent.close();
    }
  });

  storeTest("tills redeeming from the same hold at once: one is recorded, the others refused", async ({ dataDir, edge }) => {
    const { agent, auth, transactionsUrl } = await offlineAfterLookup(dataDir.dir, edge);
    try {
      const tills = ["T01", "T02", "T03", "T04", "T05", "T06", "T07", "T08"];
      const answers = await Promise.all(tills.map((till) => postJson(transactionsUrl, redeeming(`${till}-1`, 300, { terminalId: till }), auth)));
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
      expect(await storedRows(agent)).toBe(1);
    } finally {
      await agent.close();
    }
  });

  storeTest("decides redemptions one at a time, so that two arriving together cannot both use the hold", async ({ dataDir, edge }) => {
    const { agent, clock } = await offlineAfterLookup(dataDir.dir, edge);
    try {
      const desk = new RedemptionDesk({ store: agent.store, outbox: agent.outbox, policy: "refuse", clock: () => clock.now() });
      const outcomes = await Promise.allSettled([desk.record(redeeming("T01-1", 300)), desk.record(redeeming("T02-1", 300, { terminalId: "T02" }))]);
      expect(outcomes[0]).toMatchObject({ status: "fulfilled", value: { kind: "recorded" } });
      expect(outcomes[1]).toMatchObject({ status: "rejected", reason: { code: "redemption_not_covered" } });
      expect(await storedRows(agent)).toBe(1);
    } finally {
      await agent.close();
    }
  });

  storeTest("refuses bad input with problem+json and records nothing", async ({ dataDir, edge }) => {
    const { agent, auth, transactionsUrl } = await offlineAfterLookup(dataDir.dir, edge);
    try {
      const cases: [unknown, string][] = [
        [redeeming("T01-1", -5), "loyalty.redeem.points"],
        [redeeming("T01-2", 0), "loyalty.redeem.points"],
        [sale("T01-3", { loyalty: { redeem: { points: 10 } } }), "loyalty"],
        [redeeming("T01-4", 10, { type: "return" }), "loyalty.redeem"],
        [{ ...redeeming("T01-5", 10), loyalty: { redeem: { points: 10, bonus: 5 } } }, "loyalty.redeem"],
      ];
      for (const [body, path] of cases) {
        const answer = await postJson(transactionsUrl, body, auth);
        expect([answer.status, answer.headers.get("content-type"), answer.body.code]).toEqual([400, "application/problem+json", "validation_failed"]);
        expect((answer.body.errors as { path: string }[]).map((e) => e.path)).toContain(path);
      }
      expect(await storedRows(agent)).toBe(0);
      expect(await allowance(agent)).toMatchObject({ redeemedPoints: 0, redeemedBy: null });
    } finally {
      await agent.close();
    }
  });
});

storeTest("a restart keeps the store's copy of the customer and what its sales used of the hold", async ({ dataDir, edge }) => {
  const first = await offlineAfterLookup(dataDir.dir, edge);
  await first.agent.close();

  const restarted = await startLoyaltyAgent(dataDir.dir, edge, first.clock);
  try {
    expect((await lookUp(restarted.agent, restarted.auth, "LOY-0042")).body).toMatchObject({ source: "cache", balance: 1200, redeemableOffline: 500 });
    expect((await postJson(`${restarted.agent.url}/pos/v1/transactions`, redeeming("T01-1", 200), restarted.auth)).status).toBe(201);
  } finally {
    await restarted.agent.close();
  }

  const again = await startLoyaltyAgent(dataDir.dir, edge, first.clock);
  try {
    expect((await lookUp(again.agent, again.auth, "LOY-0042")).body).toMatchObject({ source: "cache", redeemableOffline: 0 });
    expect(await allowance(again.agent)).toMatchObject({ holdId: first.holdId, redeemedPoints: 200, redeemedBy: "T01-1" });
    expect((await postJson(`${again.agent.url}/pos/v1/transactions`, redeeming("T01-1", 200), again.auth)).status).toBe(200);
    expect((await postJson(`${again.agent.url}/pos/v1/transactions`, redeeming("T01-2", 200), again.auth)).status).toBe(409);
  } finally {
    await again.agent.close();
  }
});
