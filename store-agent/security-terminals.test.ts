import { createClient } from "@libsql/client";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openAgentDatabase } from "./db/client.ts";
import { databaseFile } from "./main.ts";
import { createPairingCode, pairingCodeTtlMs } from "./terminals.ts";
import { pairingCodeFromCli, runCli, setManagerFromCli, spawnAgent, type AgentProcess } from "./testing/agent-process.ts";
import { bearer, exchangePairingCode, location, postJson, sale, storeKey, tempDataDir, unusedPort, type TerminalCredentials } from "./testing/fixtures.ts";

/*
 * Black box: the real agent process (`shelfsync-agent start` with the default
 * bind address and rate limit) on a real socket and libSQL file, an edge that
 * is never reachable, and the admin's side done through the CLI.
 */

const manager = { id: "mgr-anna", name: "Anna", pin: "482913" };
let dataDir: ReturnType<typeof tempDataDir>;
let agent: AgentProcess;
let port: number;

beforeAll(async () => {
  dataDir = tempDataDir();
  agent = await spawnAgent(
    { "edge-url": `http://127.0.0.1:${await unusedPort()}`, location, "data-dir": dataDir.dir, port: "0" },
    { env: { SHELFSYNC_STORE_KEY: storeKey, SHELFSYNC_HOST: "", SHELFSYNC_ALLOWED_HOSTS: "", SHELFSYNC_TERMINAL_RATE: "", SHELFSYNC_TERMINAL_BURST: "" } },
  );
  port = Number(new URL(agent.url).port);
  await setManagerFromCli(dataDir.dir, manager);
}, 30_000);

afterAll(async () => {
  agent.child.kill("SIGTERM");
  await agent.exited;
  dataDir.remove();
});

const transactionsUrl = () => `${agent.url}/pos/v1/transactions`;

async function pairedTerminal(name: string): Promise<TerminalCredentials> {
  return exchangePairingCode(agent.url, await pairingCodeFromCli(dataDir.dir, name));
}

/** The outbox as another connection to the file sees it: what the agent has committed. */
async function outboxRows(): Promise<{ transactionId: string; body: string }[]> {
  const reader = createClient({ url: `file:${databaseFile(dataDir.dir)}` });
  try {
    const result = await reader.execute("SELECT transaction_id, body FROM outbox ORDER BY sequence");
    return result.rows.map((row) => ({ transactionId: String(row.transaction_id), body: String(row.body) }));
  } finally {
    reader.close();
  }
}

/** Runs `send` and checks that it was refused as problem+json with `code` and that the outbox did not change. */
async function expectRefusedUnchanged(send: () => Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>, status: number, code: string) {
  const before = await outboxRows();
  const answer = await send();
  expect([answer.status, answer.body.code], JSON.stringify(answer.body)).toEqual([status, code]);
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  expect(answer.body).toMatchObject({ type: `https://shelfsync.dev/problems/${code}`, status, instance: expect.any(String) });
  expect(await outboxRows()).toEqual(before);
  return answer;
}

/** A request with a Host header of our choosing (fetch does not let a caller set Host), to the agent's real socket. */
function postWithHost(host: string, path: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "POST", headers: { ...headers, host, "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => {
        const answerHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") answerHeaders.set(name, value);
        resolve({ status: res.statusCode ?? 0, headers: answerHeaders, body: JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

it("listens on 127.0.0.1 when no address is configured", () => {
  expect(new URL(agent.url).hostname).toBe("127.0.0.1");
  expect(agent.logs.find((line) => line.event === "started")?.allowedHosts).toEqual([`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
});

describe("authentication", () => {
  it("refuses a call without a token, or with a token it never issued: 401 unauthorized, nothing stored", async () => {
    const none = await expectRefusedUnchanged(() => postJson(transactionsUrl(), sale("T01-100")), 401, "unauthorized");
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    await expectRefusedUnchanged(() => postJson(transactionsUrl(), sale("T01-100"), bearer(`spt_${"A".repeat(43)}`)), 401, "unauthorized");
    for (const path of ["/pos/v1/status", "/pos/v1/items/TSHIRT-RED-M"]) {
      const response = await fetch(`${agent.url}${path}`);
      expect([response.status, ((await response.json()) as { code: string }).code]).toEqual([401, "unauthorized"]);
    }
  });

  it("pairs a terminal once per code: the token (≥ 256 bits) works, the agent keeps only its hash, and the code cannot pair again", async () => {
    const code = await pairingCodeFromCli(dataDir.dir, "Till 2");
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    const till = await exchangePairingCode(agent.url, code);
    expect(till.token).toMatch(/^spt_[A-Za-z0-9_-]{43}$/);
    expect((await postJson(transactionsUrl(), sale("T02-1"), bearer(till.token))).status).toBe(201);

    await expectRefusedUnchanged(() => postJson(`${agent.url}/pos/v1/terminals/pair`, { code }), 401, "pairing_code_invalid");
    const store = createClient({ url: `file:${databaseFile(dataDir.dir)}` });
    try {
      const stored = JSON.stringify((await store.execute("SELECT * FROM terminals")).rows) + JSON.stringify((await store.execute("SELECT * FROM pairing_codes")).rows);
      expect(stored).not.toContain(till.token.slice(4));
      expect(stored).not.toContain(code.replace("-", ""));
    } finally {
      store.close();
    }
  });

  it("refuses an expired pairing code and one it never issued", async () => {
    const writer = await openAgentDatabase(databaseFile(dataDir.dir));
    const expired = await createPairingCode(writer, "Till old", Date.now() - pairingCodeTtlMs - 1_000).finally(() => writer.close());
    await expectRefusedUnchanged(() => postJson(`${agent.url}/pos/v1/terminals/pair`, { code: expired.code }), 401, "pairing_code_invalid");
    await expectRefusedUnchanged(() => postJson(`${agent.url}/pos/v1/terminals/pair`, { code: "0000-0000" }), 401, "pairing_code_invalid");
  });

  it("refuses a revoked terminal from its next request, with the edge unreachable, while other terminals go on", async () => {
    const revoked = await pairedTerminal("Till 3");
    const other = await pairedTerminal("Till 4");
    expect((await postJson(transactionsUrl(), sale("T03-1"), bearer(revoked.token))).status).toBe(201);
    const listed = JSON.parse((await runCli(["terminals", "list", "--json", "--data-dir", dataDir.dir])).stdout) as { id: string; name: string; revokedAt: string | null }[];
    const id = listed.find((t) => t.name === "Till 3")!.id;

    const revoke = await runCli(["terminals", "revoke", id, "--data-dir", dataDir.dir]);
    expect(revoke.code).toBe(0);
    const refused = await expectRefusedUnchanged(() => postJson(transactionsUrl(), sale("T03-2"), bearer(revoked.token)), 401, "unauthorized");
    expect(refused.body.detail).toContain("revoked");
    expect((await postJson(transactionsUrl(), sale("T04-1"), bearer(other.token))).status).toBe(201);
    const after = JSON.parse((await runCli(["terminals", "list", "--json", "--data-dir", dataDir.dir])).stdout) as { id: string; revokedAt: string | null }[];
    expect(after.find((t) => t.id === id)?.revokedAt).toEqual(expect.any(String));
    expect((await runCli(["terminals", "revoke", "trm_nosuchterm", "--data-dir", dataDir.dir])).code).toBe(1);
  });
});

describe("Host allowlist (DNS rebinding)", () => {
  it("refuses a request to the right socket with Host evil.example: 421 host_not_allowed, nothing stored, even with a valid token", async () => {
    const till = await pairedTerminal("Till 5");
    await expectRefusedUnchanged(() => postWithHost(`evil.example:${port}`, "/pos/v1/transactions", sale("T05-1"), bearer(till.token)), 421, "host_not_allowed");
    await expectRefusedUnchanged(() => postWithHost("evil.example", "/pos/v1/terminals/pair", { code: "0000-0000" }, {}), 421, "host_not_allowed");
    await expectRefusedUnchanged(() => postWithHost(`localhost:${port + 1}`, "/pos/v1/transactions", sale("T05-1"), bearer(till.token)), 421, "host_not_allowed");
    expect((await postWithHost(`localhost:${port}`, "/pos/v1/transactions", sale("T05-1"), bearer(till.token))).status).toBe(201);
  });
});

describe("rate limit", () => {
  it("answers 429 rate_limited with Retry-After once a terminal spends its burst (50), and only for that terminal", async () => {
    const busy = await pairedTerminal("Till 6");
    const calm = await pairedTerminal("Till 7");
    const before = await outboxRows();
    // Well past the burst, so that the tokens a loaded machine refills meanwhile (10 a second) cannot cover it;
    // the sale goes the moment the burst is answered, with no read in between.
    const statuses = await Promise.all(Array.from({ length: 100 }, () => fetch(`${agent.url}/pos/v1/status`, { headers: bearer(busy.token) }).then((r) => r.status)));
    const limited = await postJson(transactionsUrl(), sale("T06-1"), bearer(busy.token));
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(50);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect([limited.status, limited.body.code], JSON.stringify(limited.body)).toEqual([429, "rate_limited"]);
    expect(limited.body).toMatchObject({ type: "https://shelfsync.dev/problems/rate_limited", status: 429 });
    expect(await outboxRows()).toEqual(before);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await postJson(transactionsUrl(), sale("T07-1"), bearer(calm.token))).status).toBe(201);
  });
});

describe("manager approval", () => {
  let till: TerminalCredentials;
  beforeAll(async () => {
    till = await pairedTerminal("Till 8");
  });
  const refund = (id: string, amount: number, extra: Record<string, unknown> = {}) =>
    ({ ...sale(id, { terminalId: "T08", type: "return", tenders: [{ type: "cash", amount }] }), ...extra }) as Record<string, unknown>;

  it("refuses a blind return and a negative tender on a sale without approval (403 approval_required, reasons named), and a wrong PIN (approval_invalid)", async () => {
    const blind = await expectRefusedUnchanged(() => postJson(transactionsUrl(), refund("T08-1", -2159), bearer(till.token)), 403, "approval_required");
    expect(blind.body.reasons).toEqual(["blind_return", "negative_tender"]);
    const cashOut = await expectRefusedUnchanged(
      () => postJson(transactionsUrl(), sale("T08-2", { terminalId: "T08", tenders: [{ type: "card", amount: 4159 }, { type: "cash", amount: -2000 }] }), bearer(till.token)),
      403,
      "approval_required",
    );
    expect(cashOut.body.reasons).toEqual(["negative_tender"]);
    await expectRefusedUnchanged(() => postJson(transactionsUrl(), refund("T08-1", -2159, { approval: { managerId: manager.id, pin: "000000" } }), bearer(till.token)), 403, "approval_invalid");
    await expectRefusedUnchanged(() => postJson(transactionsUrl(), refund("T08-1", -2159, { approval: { managerId: "mgr-nobody", pin: manager.pin } }), bearer(till.token)), 403, "approval_invalid");
  });

  it("records an approved blind return with the manager id and the reasons, never the PIN; a retry gets the first receipt", async () => {
    const approved = refund("T08-3", -2159, { approval: { managerId: manager.id, pin: manager.pin } });
    const answer = await postJson(transactionsUrl(), approved, bearer(till.token));
    expect(answer.status).toBe(201);
    const row = (await outboxRows()).find((r) => r.transactionId === "T08-3")!;
    expect(JSON.parse(row.body).approval).toEqual({ managerId: manager.id, reasons: ["blind_return", "negative_tender"] });
    expect(row.body).not.toContain(manager.pin);
    const retry = await postJson(transactionsUrl(), approved, bearer(till.token));
    expect([retry.status, retry.body.sequence]).toEqual([200, answer.body.sequence]);
  });

  it("takes a return of a sale it recorded, refunding no more than the sale took, without approval", async () => {
    expect((await postJson(transactionsUrl(), sale("T08-4", { terminalId: "T08" }), bearer(till.token))).status).toBe(201);
    const withReceipt = await postJson(transactionsUrl(), refund("T08-5", -2159, { returnsTransactionId: "T08-4" }), bearer(till.token));
    expect(withReceipt.status).toBe(201);
    expect(JSON.parse((await outboxRows()).find((r) => r.transactionId === "T08-5")!.body).approval).toBeUndefined();
    const tooMuch = await expectRefusedUnchanged(() => postJson(transactionsUrl(), refund("T08-6", -5000, { returnsTransactionId: "T08-4" }), bearer(till.token)), 403, "approval_required");
    expect(tooMuch.body.reasons).toEqual(["negative_tender"]);
  });
});
