import { readFileSync } from "node:fs";
import { afterEach, beforeEach, expect, it } from "vitest";
import { silentLogger } from "./log.ts";
import { startAgent, type RunningAgent } from "./main.ts";
import { FakeEdge } from "./testing/fake-edge.ts";
import { agentConfig, bearer, location, pairInProcess, postJson, sale, storeKey, tempDataDir } from "./testing/fixtures.ts";
import { TestClock } from "./testing/test-clock.ts";

let dataDir: ReturnType<typeof tempDataDir>;
let edge: FakeEdge;
let agent: RunningAgent;
let clock: TestClock;

const packageVersion = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

beforeEach(async () => {
  dataDir = tempDataDir();
  edge = await FakeEdge.start({ location, storeKey });
  clock = new TestClock();
  agent = await startAgent(agentConfig(dataDir.dir, edge.url, { healthIntervalSeconds: 30 }), { log: silentLogger, clock });
  // The test decides when the reporter looks; the replayer stays off so that sales stay in the backlog.
  await Promise.all([agent.healthReporter.stop(), agent.replayer.stop(), agent.feedPuller.stop()]);
});

afterEach(async () => {
  await agent.close();
  await edge.close();
  dataDir.remove();
});

it("reports at once, then only when the interval passes or something worth seeing changes", async () => {
  expect(await agent.healthReporter.check()).toBe(true);
  expect(edge.healthReports).toEqual([{ agentVersion: packageVersion, backlog: 0, oldestPendingAt: null, lastPushAt: null, lastPullAt: null, deadLetters: 0 }]);
  expect(await agent.healthReporter.check()).toBe(false);

  // A sale waits in the backlog: worth reporting now, not in 30 s.
  const auth = bearer((await pairInProcess(agent)).token);
  expect((await postJson(`${agent.url}/pos/v1/transactions`, sale("T01-1"), auth)).status).toBe(201);
  expect(await agent.healthReporter.check()).toBe(true);
  expect(edge.healthReports.at(-1)).toMatchObject({ backlog: 1, oldestPendingAt: expect.stringMatching(/^\d{4}-/) });

  // A second sale changes the figure, not what a person watches: it waits for the interval.
  expect((await postJson(`${agent.url}/pos/v1/transactions`, sale("T01-2"), auth)).status).toBe(201);
  expect(await agent.healthReporter.check()).toBe(false);
  clock.advance(30_000);
  expect(await agent.healthReporter.check()).toBe(true);
  expect(edge.healthReports.at(-1)).toMatchObject({ backlog: 2 });
  expect(edge.healthReports).toHaveLength(3);
});

it("does not count a report the edge did not take, and reports once the edge is back", async () => {
  const port = edge.port;
  await edge.close();
  expect(await agent.healthReporter.check()).toBe(false);
  edge = await FakeEdge.start({ location, storeKey, port });
  // Nothing changed at the store, but the last report never arrived: it goes now.
  expect(await agent.healthReporter.check()).toBe(true);
  expect(edge.healthReports).toHaveLength(1);
});
