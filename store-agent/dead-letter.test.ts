import { asc, eq } from "drizzle-orm";
import { expect } from "vitest";
import { deadLetter, outbox } from "./db/schema.ts";
import { readAgentStatus } from "./status.ts";
import { sale, sales } from "./testing/fixtures.ts";
import { replayTest as it } from "./testing/store-test.ts";

it("moves a transaction the edge rejects to the dead letters, and delivers the ones after it", async ({ edge, agent }) => {
  edge.reject = (t) => (t.transactionId === "T01-000003" || t.transactionId === "T01-000007" ? { code: "validation_failed", reason: "lines.0.sku: unknown format" } : null);
  await agent.outbox.recordMany(sales(10));
  await agent.replayer.drain();

  expect([...edge.applied.values()]).toEqual([1, 2, 4, 5, 6, 8, 9, 10]);
  const dead = await agent.store.db.select().from(deadLetter).orderBy(asc(deadLetter.sequence));
  expect(dead.map((d) => ({ sequence: d.sequence, transactionId: d.transactionId, code: d.code, reason: d.reason }))).toEqual([
    { sequence: 3, transactionId: "T01-000003", code: "validation_failed", reason: "lines.0.sku: unknown format" },
    { sequence: 7, transactionId: "T01-000007", code: "validation_failed", reason: "lines.0.sku: unknown format" },
  ]);
  expect(JSON.parse(dead[0]!.body)).toMatchObject({ transactionId: "T01-000003", type: "sale" });
  const rows = await agent.store.db.select({ status: outbox.status, edgeStatus: outbox.edgeStatus }).from(outbox).where(eq(outbox.sequence, 3));
  expect(rows).toEqual([{ status: "dead_letter", edgeStatus: "rejected" }]);

  const status = await readAgentStatus(agent.store, agent.outbox);
  expect(status).toMatchObject({ backlog: 0, deadLetters: 2 });
});

it("never resends a dead-lettered transaction, and a terminal's retry of it stores nothing", async ({ edge, agent }) => {
  edge.reject = (t) => (t.transactionId === "T01-000001" ? { code: "validation_failed", reason: "bad" } : null);
  await agent.outbox.recordMany(sales(3));
  await agent.replayer.drain();
  const batches = edge.batches.length;

  expect((await agent.outbox.record(sale("T01-000001"))).kind).toBe("replayed");
  await agent.outbox.record(sale("T01-000004"));
  await agent.replayer.drain();
  expect(edge.batches.slice(batches).flatMap((b) => b.sequences)).toEqual([4]);
  expect(await agent.outbox.deadLetterCount()).toBe(1);
});

it("dead-letters a transaction whose rejection was lost on the way, from the edge's repeated rejection of the resend", async ({ edge, agent }) => {
  edge.reject = (t) => (t.transactionId === "T01-000002" ? { code: "validation_failed", reason: "lines.0.qty: Too small" } : null);
  await agent.outbox.recordMany(sales(3));
  edge.faults.push("drop_after_apply");
  expect((await agent.replayer.pushOnce()).kind).toBe("unavailable");
  // The edge answers an id as it did the first time; the rule that rejected it is not asked again.
  edge.reject = () => null;
  await agent.replayer.drain();

  expect([...edge.applied.values()]).toEqual([1, 3]);
  const dead = await agent.store.db.select().from(deadLetter);
  expect(dead.map((d) => [d.sequence, d.code, d.reason])).toEqual([[2, "validation_failed", "lines.0.qty: Too small"]]);
});

it("dead-letters a single transaction too large for the edge, and goes on", async ({ edge, agent }) => {
  const big = sale("T01-BIG", { lines: Array.from({ length: 400 }, (_, i) => ({ sku: `SKU-${i}`, qty: 1, unitPrice: 100, discount: 0, tax: 8 })) });
  await agent.outbox.recordMany([sale("T01-1"), big, sale("T01-2")]);
  edge.maxBatchBytes = 20_000;
  await agent.replayer.drain();

  expect([...edge.applied.keys()]).toEqual(["T01-1", "T01-2"]);
  const [dead] = await agent.store.db.select().from(deadLetter);
  expect(dead).toMatchObject({ sequence: 2, transactionId: "T01-BIG", code: "payload_too_large" });
});
