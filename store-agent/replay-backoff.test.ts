import { afterEach, beforeEach, expect, it } from "vitest";
import { backoffDelay, defaultBackoff } from "../shared/backoff.ts";
import { Outbox } from "./outbox.ts";
import { PushRefusedError, type DrainProgress } from "./replayer.ts";
import { readAgentStatus } from "./status.ts";
import { FakeEdge } from "./testing/fake-edge.ts";
import { location, sales, storeKey, tempDataDir, unusedPort } from "./testing/fixtures.ts";
import { openReplay, type ReplaySetup } from "./testing/replay-setup.ts";

let dataDir: ReturnType<typeof tempDataDir>;
const cleanup: (() => Promise<void>)[] = [];

beforeEach(() => {
  dataDir = tempDataDir();
});

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
  dataDir.remove();
});

async function open(edgeUrl: string, options: Parameters<typeof openReplay>[2] = {}): Promise<ReplaySetup> {
  const agent = await openReplay(dataDir.dir, edgeUrl, options);
  cleanup.push(() => agent.close());
  return agent;
}

async function startEdge(port?: number): Promise<FakeEdge> {
  const edge = await FakeEdge.start({ location, storeKey, port });
  cleanup.push(() => edge.close());
  return edge;
}

it("computes full-jitter delays: uniform below min(cap, base · 2^attempt)", () => {
  const policy = { baseMs: 500, capMs: 30_000 };
  expect([0, 1, 2, 3, 6, 7, 20].map((attempt) => backoffDelay(attempt, policy, () => 0.999999))).toEqual([499, 999, 1999, 3999, 29_999, 29_999, 29_999]);
  expect(backoffDelay(5, policy, () => 0)).toBe(0);
  expect(backoffDelay(2, policy, () => 0.5)).toBe(1000);
});

it("retries with exponential backoff while the edge answers 503, then delivers once", async () => {
  const edge = await startEdge();
  // The production policy (0.5 s doubling to 30 s); random() = 1 makes each wait its ceiling. The clock is moved, not waited on.
  const agent = await open(edge.url, { backoff: defaultBackoff });
  await agent.outbox.recordMany(sales(20));
  edge.faults.push("503", "503", "503", "503");

  const waits: number[] = [];
  await agent.clock.run(agent.replayer.drain({ onProgress: (p: DrainProgress) => p.waiting && waits.push(p.waiting.delayMs) }));

  expect(waits).toEqual([500, 1000, 2000, 4000]);
  expect(agent.clock.sleeps).toEqual(waits);
  expect(agent.clock.elapsed).toBe(7_500);
  expect(edge.batches.map((b) => b.answer)).toEqual(["failed", "failed", "failed", "failed", "results"]);
  expect(edge.applied.size).toBe(20);
  expect((await agent.outbox.backlog()).size).toBe(0);
});

it("keeps retrying while connections are refused, caps the delay, and delivers when the edge comes up", async () => {
  const port = await unusedPort();
  const events: Record<string, unknown>[] = [];
  const agent = await open(`http://127.0.0.1:${port}`, { log: (e) => events.push(e), backoff: defaultBackoff });
  await agent.outbox.recordMany(sales(30));
  agent.replayer.start();

  // Each step: the replayer fails, sleeps its backoff, and the test moves the clock to its wake-up.
  const waited: number[] = [];
  for (let retry = 0; retry < 8; retry++) waited.push(await agent.clock.next());
  expect(waited).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  const retries = () => events.filter((e) => e.event === "push_retry");
  expect(retries().slice(0, 8).map((e) => e.delayMs)).toEqual(waited);
  expect(retries()[0]!.reason).toMatch(/fetch failed/);
  const offline = await readAgentStatus(agent.store, agent.outbox);
  expect(offline).toMatchObject({ backlog: 30, lastSuccessfulPushAt: null, lastPushError: { message: expect.stringMatching(/ECONNREFUSED/) } });

  // Asleep again, at the cap, when the edge comes up: it delivers at the end of that one wait.
  await expect.poll(() => agent.clock.pending).toEqual([30_000]);
  const edge = await startEdge(port);
  expect(await agent.clock.next()).toBe(30_000);
  await expect.poll(() => agent.outbox.backlog().then((b) => b.size), { timeout: 30_000 }).toBe(0);
  expect(edge.sentSequences).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  const online = await readAgentStatus(agent.store, new Outbox(agent.store));
  expect(online.lastPushError).toBeNull();
  expect(online.lastSuccessfulPushAt).not.toBeNull();
});

it("keeps the rows when the edge refuses the batch (bad key), and says why in the status", async () => {
  const edge = await startEdge();
  const agent = await open(edge.url, { storeKey: "ssk_acme_wrongwrongwrongwrongwrongwrongwrongwrong" });
  await agent.outbox.recordMany(sales(10));

  const refused = await agent.replayer.drain().catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(PushRefusedError);
  expect(refused).toMatchObject({ status: 401, code: "unauthorized" });
  expect(edge.applied.size).toBe(0);
  const status = await readAgentStatus(agent.store, agent.outbox);
  expect(status).toMatchObject({ backlog: 10, lastPushError: { status: 401, code: "unauthorized" } });
});
