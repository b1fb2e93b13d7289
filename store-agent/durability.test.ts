import { createClient } from "@libsql/client";
import { afterEach, beforeEach, expect, it } from "vitest";
import { silentLogger } from "./log.ts";
import { databaseFile, startAgent } from "./main.ts";
import { pairTerminalViaCli, spawnAgent, unlimitedTerminalFlags } from "./testing/agent-process.ts";
import { agentConfig, bearer, location, pairInProcess, postJson, sale, storeKey, tempDataDir, unusedPort } from "./testing/fixtures.ts";

let dataDir: ReturnType<typeof tempDataDir>;
let edgeUrl: string;

beforeEach(async () => {
  dataDir = tempDataDir();
  edgeUrl = `http://127.0.0.1:${await unusedPort()}`;
});

afterEach(() => dataDir.remove());

/** Reads the outbox through a connection of its own, as another process would. */
async function rowsInFile(): Promise<{ transaction_id: string; sequence: number; receipt_number: string }[]> {
  const reader = createClient({ url: `file:${databaseFile(dataDir.dir)}` });
  try {
    const result = await reader.execute("SELECT transaction_id, sequence, receipt_number FROM outbox ORDER BY sequence");
    return result.rows.map((r) => ({ transaction_id: String(r.transaction_id), sequence: Number(r.sequence), receipt_number: String(r.receipt_number) }));
  } finally {
    reader.close();
  }
}

it("has the row in the file, visible to another connection, when the 201 arrives; WAL and synchronous=FULL", async () => {
  const agent = await startAgent(agentConfig(dataDir.dir, edgeUrl), { log: silentLogger });
  try {
    const auth = bearer((await pairInProcess(agent)).token);
    const pragmas = await agent.store.client.batch(["PRAGMA journal_mode", "PRAGMA synchronous"], "read");
    expect(pragmas.map((r) => r.rows[0]?.[0])).toEqual(["wal", 2]);
    for (const id of ["T01-1", "T01-2", "T01-3"]) {
      const answer = await postJson(`${agent.url}/pos/v1/transactions`, sale(id), auth);
      expect(answer.status).toBe(201);
      const rows = await rowsInFile();
      expect(rows.at(-1)).toEqual({ transaction_id: id, sequence: answer.body.sequence, receipt_number: answer.body.receiptNumber });
    }
  } finally {
    await agent.close();
  }
});

it("keeps every acknowledged transaction, gap-free, when the agent process is killed (SIGKILL) under load", async () => {
  const agent = await spawnAgent(
    { "edge-url": edgeUrl, location, "data-dir": dataDir.dir, port: "0", host: "127.0.0.1", ...unlimitedTerminalFlags },
    { env: { SHELFSYNC_STORE_KEY: storeKey } },
  );
  const auth = bearer((await pairTerminalViaCli(agent.url, dataDir.dir, "Till 1")).token);
  const acknowledged = new Map<string, { sequence: unknown; receiptNumber: unknown }>();
  let killed = false;
  const terminal = async (t: number) => {
    for (let i = 1; !killed; i++) {
      const id = `T0${t}-${i}`;
      try {
        const answer = await postJson(`${agent.url}/pos/v1/transactions`, sale(id, { terminalId: `T0${t}` }), auth);
        if (answer.status === 201) acknowledged.set(id, { sequence: answer.body.sequence, receiptNumber: answer.body.receiptNumber });
      } catch {
        return; // the agent is gone: this request was never acknowledged
      }
      if (acknowledged.size >= 200 && !killed) {
        killed = true;
        agent.child.kill("SIGKILL");
      }
    }
  };
  await Promise.all([1, 2, 3, 4].map(terminal));
  await agent.exited;

  const rows = await rowsInFile();
  const byId = new Map(rows.map((r) => [r.transaction_id, r]));
  expect(acknowledged.size).toBeGreaterThanOrEqual(200);
  for (const [id, receipt] of acknowledged) {
    expect(byId.get(id)).toEqual({ transaction_id: id, sequence: receipt.sequence, receipt_number: receipt.receiptNumber });
  }
  expect(rows.map((r) => r.sequence)).toEqual(rows.map((_, i) => i + 1));

  // After the restart, a terminal's retry (with the token it was paired with) finds its first receipt, and numbering goes on without a gap.
  const restarted = await startAgent(agentConfig(dataDir.dir, edgeUrl), { log: silentLogger });
  try {
    const [someId, receipt] = [...acknowledged][0]!;
    const retry = await postJson(`${restarted.url}/pos/v1/transactions`, sale(someId, { terminalId: someId.slice(0, 3) }), auth);
    expect([retry.status, retry.body.sequence, retry.body.receiptNumber]).toEqual([200, receipt.sequence, receipt.receiptNumber]);
    const next = await postJson(`${restarted.url}/pos/v1/transactions`, sale("T09-1"), auth);
    expect(next.body.sequence).toBe(rows.length + 1);
  } finally {
    await restarted.close();
  }
});
