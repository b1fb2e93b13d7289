import { eq } from "drizzle-orm";
import { describe, expect } from "vitest";
import { customerContacts, loyaltyAllowances } from "./db/schema.ts";
import type { RunningAgent } from "./main.ts";
import { storeTest } from "./testing/store-test.ts";
import { getJson } from "./testing/fixtures.ts";
import { jane, lookUp, startLoyaltyAgent } from "./testing/loyalty-agent.ts";
import { TestClock } from "./testing/test-clock.ts";

const minute = 60_000;

async function cached(agent: RunningAgent, customerId: string) {
  return agent.store.db.select().from(loyaltyAllowances).where(eq(loyaltyAllowances.customerId, customerId)).get();
}

describe("GET /pos/v1/customers/{loyaltyIdOrCustomerId} online", () => {
  storeTest("places one hold of the store's cap at the edge, keeps it, and reuses it on the next lookup", async ({ dataDir, edge }) => {
    edge.putCustomer(jane);
    const clock = new TestClock();
    const { agent, auth } = await startLoyaltyAgent(dataDir.dir, edge, clock);
    try {
      const first = await lookUp(agent, auth, "LOY-0042");
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        customerId: "cust-1",
        loyaltyId: "LOY-0042",
        name: "Jane Doe",
        balance: 1200,
        redeemableOffline: 500,
        holdExpiresAt: new Date(clock.now() + 15 * minute).toISOString(),
        asOf: new Date(clock.now()).toISOString(),
        source: "edge",
      });
      expect(edge.holds).toEqual([expect.objectContaining({ customerId: "cust-1", points: 500, status: "active", reference: "pos-lookup:store-001" })]);

      clock.advance(minute);
      const again = await lookUp(agent, auth, "cust-1");
      expect(again.body).toMatchObject({ customerId: "cust-1", redeemableOffline: 500, holdExpiresAt: first.body.holdExpiresAt, asOf: new Date(clock.now()).toISOString() });
      expect(edge.holds).toHaveLength(1);
      expect(await cached(agent, "cust-1")).toMatchObject({ holdId: edge.holds[0]!.id, heldPoints: 500, redeemedPoints: 0, redeemedBy: null });
    } finally {
      await agent.close();
    }
  });

  storeTest("holds what is available below the cap, nothing when nothing is, and for the TTL it is told", async ({ dataDir, edge }) => {
    edge.putCustomer({ ...jane, balance: 120 });
    edge.putCustomer({ id: "cust-2", name: null, loyaltyId: null, balance: 0 });
    const clock = new TestClock();
    const { agent, auth } = await startLoyaltyAgent(dataDir.dir, edge, clock, { loyaltyHoldTtlSeconds: 3600 });
    try {
      expect((await lookUp(agent, auth, "LOY-0042")).body).toMatchObject({ redeemableOffline: 120, holdExpiresAt: new Date(clock.now() + 60 * minute).toISOString() });
      expect((await lookUp(agent, auth, "cust-2")).body).toMatchObject({ customerId: "cust-2", balance: 0, redeemableOffline: 0, holdExpiresAt: null });
      expect(edge.holds.map((hold) => [hold.points, Date.parse(hold.expiresAt) - Date.parse(hold.createdAt)])).toEqual([[120, 60 * minute]]);
    } finally {
      await agent.close();
    }
  });

  storeTest("places a new hold once the edge no longer has the store's active, or the agent's clock says it expired", async ({ dataDir, edge }) => {
    edge.putCustomer(jane);
    const clock = new TestClock();
    const { agent, auth } = await startLoyaltyAgent(dataDir.dir, edge, clock);
    try {
      await lookUp(agent, auth, "LOY-0042");
      edge.endHold(edge.holds[0]!.id, "released");
      expect((await lookUp(agent, auth, "LOY-0042")).body).toMatchObject({ redeemableOffline: 500 });
      expect(edge.holds).toHaveLength(2);

      clock.advance(15 * minute);
      expect((await lookUp(agent, auth, "LOY-0042")).body).toMatchObject({ redeemableOffline: 500 });
      expect(edge.holds.map((hold) => hold.status)).toEqual(["released", "active", "active"]);
      expect((await cached(agent, "cust-1"))!.holdId).toBe(edge.holds[2]!.id);
    } finally {
      await agent.close();
    }
  });

  storeTest("answers a merged customer as the one they were merged into", async ({ dataDir, edge }) => {
    edge.putCustomer(jane);
    edge.putCustomer({ id: "cust-dup", name: "J. Doe", loyaltyId: null, balance: 0, mergedInto: "cust-1" });
    const { agent, auth } = await startLoyaltyAgent(dataDir.dir, edge, new TestClock());
    try {
      expect((await lookUp(agent, auth, "cust-dup")).body).toMatchObject({ customerId: "cust-1", name: "Jane Doe", redeemableOffline: 500 });
    } finally {
      await agent.close();
    }
  });

  storeTest("answers 404 not_found for a customer the edge does not have, and forgets one erased since", async ({ dataDir, edge }) => {
    edge.putCustomer(jane);
    const logs: Record<string, unknown>[] = [];
    const { agent, auth } = await startLoyaltyAgent(dataDir.dir, edge, new TestClock(), {}, (line) => logs.push(line));
    try {
      const unknown = await lookUp(agent, auth, "LOY-9999");
      expect([unknown.status, unknown.body.code]).toEqual([404, "not_found"]);

      await lookUp(agent, auth, "LOY-0042");
      edge.putCustomer({ ...jane, erased: true });
      expect((await lookUp(agent, auth, "cust-1")).status).toBe(404);
      expect(await cached(agent, "cust-1")).toBeUndefined();
      // The access log names the route, never the customer.
      expect(JSON.stringify(logs)).not.toMatch(/LOY-|cust-1/);
      expect(logs).toContainEqual(expect.objectContaining({ path: "/pos/v1/customers/{loyaltyIdOrCustomerId}", status: 404 }));
    } finally {
      await agent.close();
    }
  });
});

describe("GET /pos/v1/customers/{loyaltyIdOrCustomerId} offline", () => {
  storeTest("answers from the store's copy, the hold redeemable until it expires by the agent's clock", async ({ dataDir, edge }) => {
    edge.putCustomer(jane);
    const clock = new TestClock();
    const { agent, auth } = await startLoyaltyAgent(dataDir.dir, edge, clock);
    try {
      const online = await lookUp(agent, auth, "LOY-0042");
      edge.unreachable = true;
      clock.advance(10 * minute);
      const offline = await lookUp(agent, auth, "LOY-0042");
      expect(offline.status).toBe(200);
      expect(offline.body).toEqual({ ...online.body, source: "cache" });
      expect((await lookUp(agent, auth, "cust-1")).body).toMatchObject({ customerId: "cust-1", source: "cache", redeemableOffline: 500 });

      clock.advance(5 * minute);
      expect((await lookUp(agent, auth, "LOY-0042")).body).toMatchObject({ source: "cache", balance: 1200, redeemableOffline: 0, holdExpiresAt: null });
      expect(edge.holds).toHaveLength(1);
    } finally {
      await agent.close();
    }
  });

  storeTest("answers 503 edge_unreachable for a customer the store never looked up", async ({ dataDir, edge }) => {
    edge.putCustomer(jane);
    edge.unreachable = true;
    const { agent, auth } = await startLoyaltyAgent(dataDir.dir, edge, new TestClock());
    try {
      const answer = await lookUp(agent, auth, "LOY-0042");
      expect([answer.status, answer.body.code]).toEqual([503, "edge_unreachable"]);
      expect(edge.holds).toEqual([]);
    } finally {
      await agent.close();
    }
  });
});

describe("GET /pos/v1/customers?email=|phone=", () => {
  const find = (agent: RunningAgent, auth: Record<string, string>, query: string) => getJson(`${agent.url}/pos/v1/customers?${query}`, auth);

  storeTest("finds the customer by email or phone online, with the store's hold; offline, the one an earlier lookup of that contact found", async ({ dataDir, edge }) => {
    edge.putCustomer({ ...jane, email: "jane.doe@example.com", phone: "+442079460958" });
    const clock = new TestClock();
    const logs: Record<string, unknown>[] = [];
    const { agent, auth } = await startLoyaltyAgent(dataDir.dir, edge, clock, { phoneCountry: "GB" }, (line) => logs.push(line));
    try {
      const byEmail = await find(agent, auth, `email=${encodeURIComponent(" Jane.Doe@Example.com ")}`);
      expect(byEmail.status).toBe(200);
      expect(byEmail.body).toMatchObject({ customerId: "cust-1", name: "Jane Doe", balance: 1200, redeemableOffline: 500, source: "edge" });
      // A national number, read as GB by the edge (the tenant's defaultCountry) and by the agent (--phone-country).
      expect((await find(agent, auth, "phone=020%207946%200958")).body).toMatchObject({ customerId: "cust-1", source: "edge" });
      expect(edge.holds).toHaveLength(1);

      edge.unreachable = true;
      expect((await find(agent, auth, "email=jane.doe@example.com")).body).toMatchObject({ customerId: "cust-1", redeemableOffline: 500, source: "cache" });
      expect((await find(agent, auth, "phone=%2B44%2020%207946%200958")).body).toMatchObject({ customerId: "cust-1", source: "cache" });
      const unknown = await find(agent, auth, "email=someone.else@example.com");
      expect([unknown.status, unknown.body.code]).toEqual([503, "edge_unreachable"]);

      // The file keeps no contact, and the access log names none.
      const kept = await agent.store.db.select().from(customerContacts);
      expect(kept.map((row) => row.customerId)).toEqual(["cust-1", "cust-1"]);
      expect(JSON.stringify(kept)).not.toMatch(/jane|7946/i);
      expect(JSON.stringify(logs)).not.toMatch(/jane|7946/i);
    } finally {
      await agent.close();
    }
  });

  storeTest("answers 404 for a contact nobody has (and forgets it), 422 for one that cannot be read, 400 without exactly one of the two", async ({ dataDir, edge }) => {
    edge.putCustomer({ ...jane, email: "jane.doe@example.com" });
    const { agent, auth } = await startLoyaltyAgent(dataDir.dir, edge, new TestClock());
    try {
      expect((await find(agent, auth, "email=jane.doe@example.com")).status).toBe(200);
      edge.putCustomer({ ...jane, erased: true });
      const gone = await find(agent, auth, "email=jane.doe@example.com");
      expect([gone.status, gone.body.code]).toEqual([404, "not_found"]);
      expect(await agent.store.db.select().from(customerContacts)).toEqual([]);

      const badEmail = await find(agent, auth, "email=not-an-email");
      expect([badEmail.status, badEmail.body.code]).toEqual([422, "invalid_email"]);
      const badPhone = await find(agent, auth, "phone=12");
      expect([badPhone.status, badPhone.body.code]).toEqual([422, "invalid_phone"]);
      for (const query of ["", "email=a@example.com&phone=%2B442079460958"]) {
        const answer = await find(agent, auth, query);
        expect([answer.status, answer.body.code]).toEqual([400, "validation_failed"]);
      }
      expect(edge.holds).toHaveLength(1);
    } finally {
      await agent.close();
    }
  });
});
