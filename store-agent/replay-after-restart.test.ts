import { expect } from "vitest";
import { sales } from "./testing/fixtures.ts";
import { openReplay } from "./testing/replay-setup.ts";
import { storeTest as it } from "./testing/store-test.ts";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

it("resumes after a restart from the database alone, without resending what the edge acknowledged", async ({ dataDir, edge }) => {
  const first = await openReplay(dataDir.dir, edge.url);
  await first.outbox.recordMany(sales(1200));
  expect(await first.replayer.pushOnce()).toEqual({ kind: "pushed", sent: 500, deadLettered: 0 });
  await first.close();

  const second = await openReplay(dataDir.dir, edge.url);
  try {
    expect((await second.outbox.backlog()).size).toBe(700);
    await second.replayer.drain();
  } finally {
    await second.close();
  }
  expect(edge.sentSequences).toEqual(range(1, 1200));
  expect(edge.applied.size).toBe(1200);
});

it("resends a batch whose answer was lost, with the same Idempotency-Key, and it counts once", async ({ dataDir, edge }) => {
  const first = await openReplay(dataDir.dir, edge.url);
  await first.outbox.recordMany(sales(800));
  edge.faults.push("drop_after_apply");
  // The edge applied 1-500 but the agent never heard; then the agent stops before retrying.
  expect((await first.replayer.pushOnce()).kind).toBe("unavailable");
  await first.close();
  expect(edge.applied.size).toBe(500);

  const second = await openReplay(dataDir.dir, edge.url);
  try {
    expect((await second.outbox.backlog()).size).toBe(800);
    await second.replayer.drain();
    expect((await second.outbox.backlog()).size).toBe(0);
  } finally {
    await second.close();
  }

  const [lost, resent] = edge.batches;
  expect(lost!.answer).toBe("dropped_after_apply");
  expect(resent!.sequences).toEqual(lost!.sequences);
  expect(resent!.idempotencyKey).toBe(lost!.idempotencyKey);
  expect([...edge.applied.values()]).toEqual(range(1, 800));
});

it("survives repeated stops mid-drain: every transaction applied exactly once, in order", async ({ dataDir, edge }) => {
  const setup = await openReplay(dataDir.dir, edge.url, { batchSize: 50 });
  await setup.outbox.recordMany(sales(1000));
  await setup.close();

  for (let round = 0; round < 12; round++) {
    const agent = await openReplay(dataDir.dir, edge.url, { batchSize: 50 });
    if (round % 3 === 0) edge.faults.push("drop_after_apply");
    if (round % 3 === 1) edge.faults.push("reset");
    await agent.replayer.pushOnce();
    await agent.replayer.pushOnce();
    await agent.close();
  }
  const last = await openReplay(dataDir.dir, edge.url, { batchSize: 50 });
  expect((await last.outbox.backlog()).size).toBeGreaterThan(0);
  await last.replayer.drain();
  await last.close();

  expect([...edge.applied.values()]).toEqual(range(1, 1000));
  expect(edge.sentSequences.length).toBeGreaterThan(1000);
  const firstSent = [...new Set(edge.sentSequences)];
  expect(firstSent).toEqual(range(1, 1000));
});
