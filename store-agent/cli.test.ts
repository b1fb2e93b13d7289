import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { silentLogger } from "./log.ts";
import { startAgent } from "./main.ts";
import { cliPath } from "./testing/agent-process.ts";
import { FakeEdge } from "./testing/fake-edge.ts";
import { agentConfig, bearer, location, pairInProcess, postJson, sale, storeKey, tempDataDir, unusedPort } from "./testing/fixtures.ts";

let dataDir: ReturnType<typeof tempDataDir>;
let edge: FakeEdge;

beforeEach(async () => {
  dataDir = tempDataDir();
  edge = await FakeEdge.start({ location, storeKey });
});

afterEach(async () => {
  await edge.close();
  dataDir.remove();
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Records `count` sales through an agent that cannot reach any edge, then stops it. */
async function recordOffline(count: number): Promise<void> {
  const agent = await startAgent(agentConfig(dataDir.dir, `http://127.0.0.1:${await unusedPort()}`), { log: silentLogger });
  const auth = bearer((await pairInProcess(agent)).token);
  for (let i = 1; i <= count; i++) await postJson(`${agent.url}/pos/v1/transactions`, sale(`T01-${i}`), auth);
  await agent.close();
}

const flags = () => ["--edge-url", edge.url, "--location", location, "--data-dir", dataDir.dir];
/** The store key reaches the CLI through the environment, never the command line. */
const keyEnv = (key = storeKey) => ({ SHELFSYNC_STORE_KEY: key });

it("prints its usage for --help", async () => {
  const { code, stdout } = await cli(["--help"]);
  expect(code).toBe(0);
  expect(stdout).toMatch(/start .*\n.*status .*\n.*drain .*\n.*config/);
  expect(stdout).toContain("SHELFSYNC_EDGE_URL");
});

it("prints the effective configuration with the key masked, and exits 2 when it is incomplete", async () => {
  const shown = await cli(["config", "--json", "--location", location, "--data-dir", dataDir.dir], { SHELFSYNC_EDGE_URL: edge.url, SHELFSYNC_STORE_KEY: storeKey });
  expect(shown.code).toBe(0);
  const settings = JSON.parse(shown.stdout).settings as { name: string; value: string; source: string }[];
  expect(settings.find((s) => s.name === "storeKey")).toEqual(expect.objectContaining({ value: "ssk_acme_****2345", source: "environment" }));
  expect(settings.find((s) => s.name === "location")).toEqual(expect.objectContaining({ value: location, source: "flag" }));
  expect(shown.stdout).not.toContain(storeKey);

  const incomplete = await cli(["config"], { SHELFSYNC_EDGE_URL: "", SHELFSYNC_STORE_KEY: "", SHELFSYNC_LOCATION: "" });
  expect(incomplete.code).toBe(2);
  expect(incomplete.stderr).toContain("--location / SHELFSYNC_LOCATION: not set");
});

it("reads the status from the database when no agent runs", async () => {
  const missing = await cli(["status", "--data-dir", dataDir.dir]);
  expect(missing.code).toBe(1);

  await recordOffline(3);
  const { code, stdout } = await cli(["status", "--data-dir", dataDir.dir]);
  expect(code).toBe(0);
  expect(stdout).toMatch(/running\s+no/);
  expect(stdout).toMatch(/online\s+unknown/);
  expect(stdout).toMatch(/backlog\s+3 transactions, oldest #1/);
  const json = JSON.parse((await cli(["status", "--json", "--data-dir", dataDir.dir])).stdout);
  expect(json).toMatchObject({ location, running: false, online: null, backlog: 3, deadLetters: 0 });
});

it("drains the backlog to the edge and exits 0 once it is empty", async () => {
  await recordOffline(25);
  const { code, stdout, stderr } = await cli(["drain", ...flags()], keyEnv());
  expect({ code, stderr }).toMatchObject({ code: 0 });
  expect(stdout).toContain("Backlog empty: 25 transactions settled. Dead letters: 0.");
  expect(edge.applied.size).toBe(25);
  expect(JSON.parse((await cli(["status", "--json", "--data-dir", dataDir.dir])).stdout).backlog).toBe(0);
});

it("exits 1 and keeps the backlog when the edge refuses the key", async () => {
  await recordOffline(2);
  const { code, stderr } = await cli(["drain", ...flags()], keyEnv("ssk_acme_wrongwrongwrongwrongwrongwrongwrongwrong"));
  expect(code).toBe(1);
  expect(stderr).toContain("401 unauthorized");
  expect(edge.applied.size).toBe(0);
  expect(JSON.parse((await cli(["status", "--json", "--data-dir", dataDir.dir])).stdout).backlog).toBe(2);
});

it("refuses a data dir that belongs to another store", async () => {
  await recordOffline(1);
  const { code, stderr } = await cli(["drain", ...flags(), "--location", "store-002"], keyEnv());
  expect(code).toBe(2);
  expect(stderr).toContain("belongs to location store-001");
});

it("refuses the store key as a flag, and reads it from the file SHELFSYNC_STORE_KEY_FILE names", async () => {
  const onCommandLine = await cli(["config", "--store-key", storeKey, ...flags()], { SHELFSYNC_STORE_KEY: "" });
  expect(onCommandLine.code).toBe(2);
  expect(onCommandLine.stderr).toContain("never a flag");

  const keyFile = join(dataDir.dir, "store-key");
  writeFileSync(keyFile, `${storeKey}\n`, { mode: 0o600 });
  const shown = await cli(["config", "--json", ...flags()], { SHELFSYNC_STORE_KEY: "", SHELFSYNC_STORE_KEY_FILE: keyFile });
  expect(shown.code).toBe(0);
  const settings = JSON.parse(shown.stdout).settings as { name: string; value: string }[];
  expect(settings.find((s) => s.name === "storeKey")?.value).toBe("ssk_acme_****2345");
});
