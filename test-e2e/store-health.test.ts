import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import type { StoreHealth, StoreList } from "../shared/schemas/store-health.ts";
import { EdgeHost, location, seedStore, startAgentProcess, tempDir, waitFor, type AgentHandle, type SeededStore, type TempDir } from "./harness.ts";

const packageVersion = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

let edgeDir: TempDir;
let agentDir: TempDir;
let edge: EdgeHost;
let store: SeededStore;
let agent: AgentHandle | null = null;

beforeAll(async () => {
  edgeDir = tempDir("health-edge");
  agentDir = tempDir("health-agent");
  // Silent for 3 s is offline here (90 s in production), so that the test waits seconds, not minutes.
  edge = new EdgeHost(edgeDir.dir, { STORE_OFFLINE_AFTER_MS: "3000" });
  await edge.start();
  store = await seedStore(edge.url, { "TEE-RED-M": 10 });
});

afterAll(async () => {
  try {
    await agent?.stop();
    await edge?.stop();
  } finally {
    edgeDir?.remove();
    agentDir?.remove();
  }
});

const startAgent = () => startAgentProcess({ edgeUrl: edge.url, storeKey: store.storeKey, dataDir: agentDir.dir, healthIntervalSeconds: 1 });

async function storeStatus(): Promise<StoreHealth> {
  const list = await edgeCall<StoreList>(edge.url, "GET", "/v1/stores", { key: store.adminKey });
  return list.stores.find((entry) => entry.location === location)!;
}

it("shows a store online while its agent runs, offline once the agent is killed, and online again when it restarts", async () => {
  expect((await storeStatus()).status).toBe("unknown");
  agent = await startAgent();
  const online = await waitFor("the store online", 20_000, async () => {
    const health = await storeStatus();
    return health.status === "online" ? health : undefined;
  });
  expect(online).toMatchObject({ agentVersion: packageVersion, backlog: 0, deadLetters: 0 });

  await agent.kill();
  const killedAt = Date.now();
  agent = null;
  const offline = await waitFor("the store offline", 20_000, async () => {
    const health = await storeStatus();
    return health.status === "offline" ? health : undefined;
  });
  // Offline since its last report, which came before the kill.
  expect(Date.parse(offline.offlineSince!)).toBeLessThanOrEqual(killedAt);

  agent = await startAgent();
  const back = await waitFor("the store online again", 20_000, async () => {
    const health = await storeStatus();
    return health.status === "online" ? health : undefined;
  });
  expect(back.offlineSince).toBeNull();
  const detail = await edgeCall<{ samples: { status: string }[] }>(edge.url, "GET", `/v1/stores/${location}/health`, { key: store.adminKey });
  expect(detail.samples.map((sample) => sample.status)).toEqual(["online", "offline", "online"]);
});
