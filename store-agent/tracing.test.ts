import { afterEach, beforeEach, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "./main.ts";
import { FakeEdge } from "./testing/fake-edge.ts";
import { agentConfig, bearer, location, pairInProcess, postJson, sale, storeKey, tempDataDir } from "./testing/fixtures.ts";

let dataDir: ReturnType<typeof tempDataDir>;
let edge: FakeEdge;
let agent: RunningAgent;
let auth: Record<string, string>;
let logLines: Record<string, unknown>[];

beforeEach(async () => {
  dataDir = tempDataDir();
  edge = await FakeEdge.start({ location, storeKey });
  logLines = [];
  agent = await startAgent(agentConfig(dataDir.dir, edge.url), { log: (fields) => void logLines.push(fields) });
  await agent.replayer.stop();
  auth = bearer((await pairInProcess(agent)).token);
});

afterEach(async () => {
  await agent.close();
  await edge.close();
  dataDir.remove();
});

it("continues the terminal's trace, starts one when the terminal sent none, and carries it to the edge with the transaction", async () => {
  const terminalTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const traced = await postJson(`${agent.url}/pos/v1/transactions`, sale("T01-1"), { ...auth, traceparent: terminalTrace });
  const untraced = await postJson(`${agent.url}/pos/v1/transactions`, sale("T01-2"), { ...auth, traceparent: "garbage" });
  expect(traced.body.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  expect(untraced.body.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(untraced.body.traceId).not.toBe(traced.body.traceId);
  // The same transaction again answers the first receipt, trace included.
  expect((await postJson(`${agent.url}/pos/v1/transactions`, sale("T01-1"), auth)).body.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");

  await agent.replayer.drain();
  const sent = edge.batches.flatMap((batch) => batch.traceparents);
  expect(sent).toHaveLength(2);
  // A span of its own (the agent's) in the terminal's trace.
  expect(sent[0]).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  expect(sent[0]).not.toBe(terminalTrace);
  expect(sent[1]).toMatch(new RegExp(`^00-${untraced.body.traceId}-[0-9a-f]{16}-01$`));
});

it("logs every POS request with its trace id: a sale's, also when replayed, and a new trace for a request that sent none", async () => {
  const terminalTrace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  await postJson(`${agent.url}/pos/v1/transactions`, sale("T01-1"), { ...auth, traceparent: terminalTrace });
  const replayed = await postJson(`${agent.url}/pos/v1/transactions`, sale("T01-1"), auth);
  expect(replayed.status).toBe(200);
  const status = await fetch(`${agent.url}/pos/v1/status`, { headers: auth });
  expect(status.status).toBe(200);

  const requests = logLines.filter((line) => typeof line.path === "string" && typeof line.status === "number");
  const sales = requests.filter((line) => line.path === "/pos/v1/transactions");
  expect(sales.map((line) => [line.status, line.traceId])).toEqual([
    [201, "4bf92f3577b34da6a3ce929d0e0e4736"],
    [200, "4bf92f3577b34da6a3ce929d0e0e4736"],
  ]);
  const statusLine = requests.find((line) => line.path === "/pos/v1/status");
  expect(statusLine?.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(statusLine?.traceId).not.toBe("4bf92f3577b34da6a3ce929d0e0e4736");
});
