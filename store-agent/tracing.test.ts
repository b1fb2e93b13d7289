import { afterEach, beforeEach, expect, it } from "vitest";
import { silentLogger } from "./log.ts";
import { startAgent, type RunningAgent } from "./main.ts";
import { FakeEdge } from "./testing/fake-edge.ts";
import { agentConfig, bearer, location, pairInProcess, postJson, sale, storeKey, tempDataDir } from "./testing/fixtures.ts";

let dataDir: ReturnType<typeof tempDataDir>;
let edge: FakeEdge;
let agent: RunningAgent;
let auth: Record<string, string>;

beforeEach(async () => {
  dataDir = tempDataDir();
  edge = await FakeEdge.start({ location, storeKey });
  agent = await startAgent(agentConfig(dataDir.dir, edge.url), { log: silentLogger });
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
