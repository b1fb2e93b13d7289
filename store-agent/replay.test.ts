import { asc } from "drizzle-orm";
import { expect } from "vitest";
import { outbox as outboxTable } from "./db/schema.ts";
import { sales } from "./testing/fixtures.ts";
import { replayTest as it } from "./testing/store-test.ts";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

it("pushes the backlog in sequence order, in batches of at most 500, each transaction once", async ({ edge, agent }) => {
  await agent.outbox.recordMany(sales(1234));
  await agent.replayer.drain();

  expect(edge.batches.map((b) => b.sequences.length)).toEqual([500, 500, 234]);
  expect(edge.sentSequences).toEqual(range(1, 1234));
  expect([...edge.applied.values()]).toEqual(range(1, 1234));
  expect(edge.batches.map((b) => b.idempotencyKey)).toEqual([
    expect.stringMatching(/^store-batch-store-001-1-500-[0-9a-f]{16}$/),
    expect.stringMatching(/^store-batch-store-001-501-1000-[0-9a-f]{16}$/),
    expect.stringMatching(/^store-batch-store-001-1001-1234-[0-9a-f]{16}$/),
  ]);

  const rows = await agent.store.db.select().from(outboxTable).orderBy(asc(outboxTable.sequence));
  expect(rows.every((r) => r.status === "sent" && r.edgeStatus === "accepted" && r.sentAt !== null)).toBe(true);
  expect((await agent.outbox.backlog()).size).toBe(0);
});

it("never sends an acknowledged row again: later pushes carry only new rows", async ({ edge, agent }) => {
  await agent.outbox.recordMany(sales(700));
  await agent.replayer.drain();
  await agent.replayer.drain();
  expect(await agent.replayer.pushOnce()).toEqual({ kind: "idle" });
  expect(edge.batches).toHaveLength(2);

  await agent.outbox.recordMany(sales(3, "T02"));
  await agent.replayer.drain();
  expect(edge.batches.at(-1)!.sequences).toEqual([701, 702, 703]);
  expect(edge.sentSequences).toEqual(range(1, 703));
});

it("pushes in the background as sales arrive, in order", async ({ edge, agent }) => {
  agent.replayer.start();
  for (const batch of [sales(5, "T01"), sales(5, "T02"), sales(5, "T03")]) {
    for (const transaction of batch) {
      await agent.outbox.record(transaction);
      agent.replayer.nudge();
    }
  }
  await expect.poll(() => edge.applied.size, { timeout: 30_000 }).toBe(15);
  expect([...edge.applied.values()]).toEqual(range(1, 15));
  expect(edge.sentSequences).toEqual(range(1, 15));
});

it("splits batches the edge refuses as too large, and keeps the order", async ({ edge, agent }) => {
  await agent.outbox.recordMany(sales(600));
  edge.maxBatchBytes = 40_000;
  await agent.replayer.drain();
  expect(edge.batches[0]!.answer).toBe("too_large");
  const delivered = edge.batches.filter((b) => b.answer === "results");
  expect(delivered.every((b) => b.bytes <= 40_000)).toBe(true);
  expect(delivered.flatMap((b) => b.sequences)).toEqual(range(1, 600));
  expect(edge.applied.size).toBe(600);
});

it("records the edge's high-water mark from its answers", async ({ agent }) => {
  await agent.outbox.recordMany(sales(42));
  await agent.replayer.drain();
  const state = await agent.store.db.query.agentState.findFirst();
  expect(state).toMatchObject({ edgeHighWaterMark: 42, edgeGaps: [], edgeReachable: true, lastPushError: null });
  expect(state!.lastPushOkAt).toBeGreaterThan(0);
});
