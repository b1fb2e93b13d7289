import { count, eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { outbox } from "./db/schema.ts";
import { silentLogger } from "./log.ts";
import { startAgent, type RunningAgent } from "./main.ts";
import { maxPosBodyBytes } from "./pos-api.ts";
import { agentConfig, bearer, getJson, pairInProcess, postJson, sale, tempDataDir, unusedPort } from "./testing/fixtures.ts";

let dataDir: ReturnType<typeof tempDataDir>;
let agent: RunningAgent;
let transactionsUrl: string;
let auth: Record<string, string>;

beforeEach(async () => {
  dataDir = tempDataDir();
  // No edge: the store is offline for all of these, which the POS API must not notice.
  agent = await startAgent(agentConfig(dataDir.dir, `http://127.0.0.1:${await unusedPort()}`), { log: silentLogger });
  transactionsUrl = `${agent.url}/pos/v1/transactions`;
  auth = bearer((await pairInProcess(agent)).token);
});

afterEach(async () => {
  await agent.close();
  dataDir.remove();
});

async function storedRows(transactionId?: string): Promise<number> {
  const query = agent.store.db.select({ n: count() }).from(outbox);
  const [row] = await (transactionId ? query.where(eq(outbox.transactionId, transactionId)) : query);
  return row!.n;
}

describe("POST /pos/v1/transactions", () => {
  it("answers 201 with a receipt and gap-free sequence numbers, offline", async () => {
    const answers = [];
    for (const id of ["T01-1", "T01-2", "T02-1"]) answers.push(await postJson(transactionsUrl, sale(id), auth));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    expect(answers.map((a) => a.body.sequence)).toEqual([1, 2, 3]);
    expect(answers.map((a) => a.body.receiptNumber)).toEqual(["store-001-00000001", "store-001-00000002", "store-001-00000003"]);
    expect(answers[0]!.body).toMatchObject({ transactionId: "T01-1", recordedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(await storedRows()).toBe(3);
  });

  it("answers the same transaction id again with the first receipt and stores nothing", async () => {
    const first = await postJson(transactionsUrl, sale("T01-7"), auth);
    const again = await postJson(transactionsUrl, sale("T01-7"), auth);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await storedRows("T01-7")).toBe(1);
    const next = await postJson(transactionsUrl, sale("T01-8"), auth);
    expect(next.body.sequence).toBe(2);
  });

  it("treats a body equal after defaults as the same transaction", async () => {
    const withDefaults = sale("T01-9");
    const { currency: _currency, ...withoutCurrency } = withDefaults;
    await postJson(transactionsUrl, withDefaults, auth);
    const again = await postJson(transactionsUrl, { ...withoutCurrency, lines: [{ sku: "TSHIRT-RED-M", qty: 1, unitPrice: 1999, tax: 160 }] }, auth);
    expect(again.status).toBe(200);
  });

  it("refuses the same transaction id with another body: 409 conflict, the first row unchanged", async () => {
    const first = await postJson(transactionsUrl, sale("T01-3"), auth);
    const other = await postJson(transactionsUrl, sale("T01-3", { lines: [{ sku: "TSHIRT-RED-M", qty: 2, unitPrice: 1999, discount: 0, tax: 320 }] }), auth);
    expect(other.status).toBe(409);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
    expect(other.body).toMatchObject({ code: "conflict", status: 409, transactionId: "T01-3", instance: expect.any(String) });
    const [row] = await agent.store.db.select().from(outbox).where(eq(outbox.transactionId, "T01-3"));
    expect(JSON.parse(row!.body).lines[0].qty).toBe(1);
    expect(row!.sequence).toBe(first.body.sequence);
    expect(await storedRows()).toBe(1);
  });

  it("gives concurrent terminals distinct, gap-free sequence numbers, retries included", async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `T0${i % 6}-${i}`);
    const answers = await Promise.all([...ids, ...ids.slice(0, 20)].map((id) => postJson(transactionsUrl, sale(id), auth)));
    expect(answers.every((a) => a.status === 201 || a.status === 200)).toBe(true);
    const sequences = new Set(answers.map((a) => a.body.sequence));
    expect([...sequences].sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(await storedRows()).toBe(60);
  });

  it("records a sale of an unknown SKU: a sale is never refused", async () => {
    const answer = await postJson(transactionsUrl, sale("T01-4", { lines: [{ sku: "NOT-IN-CATALOG", qty: 500, unitPrice: 1, discount: 0, tax: 0 }] }), auth);
    expect(answer.status).toBe(201);
    expect(await storedRows("T01-4")).toBe(1);
  });

  it("answers validation_failed with the fields at fault, and stores nothing", async () => {
    const answer = await postJson(transactionsUrl, { ...sale("T01-5"), lines: [], tenders: [{ type: "cheque", amount: 1 }] }, auth);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe("validation_failed");
    const paths = (answer.body.errors as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["lines", "tenders.0.type"]));
    expect(await storedRows()).toBe(0);
  });

  it("answers malformed_json, unsupported_media_type and payload_too_large as problems", async () => {
    const malformed = await postJson(transactionsUrl, '{"transactionId": "T01-6",', auth);
    expect([malformed.status, malformed.body.code]).toEqual([400, "malformed_json"]);

    const response = await fetch(transactionsUrl, { method: "POST", headers: { "content-type": "text/plain", ...auth }, body: JSON.stringify(sale("T01-6")) });
    expect(response.status).toBe(415);
    expect(((await response.json()) as { code: string }).code).toBe("unsupported_media_type");

    const huge = await postJson(transactionsUrl, { ...sale("T01-6"), customerId: "x".repeat(maxPosBodyBytes) }, auth);
    expect([huge.status, huge.body.code]).toEqual([413, "payload_too_large"]);
    expect(await storedRows()).toBe(0);
  });
});

describe("GET /pos/v1/items and /pos/v1/status", () => {
  it("answers 404 not_found for an item the local catalog does not have", async () => {
    const answer = await getJson(`${agent.url}/pos/v1/items/UNKNOWN-1`, auth);
    expect([answer.status, answer.body.code]).toEqual([404, "not_found"]);
  });

  it("reports the backlog and that the edge is not reachable", async () => {
    await postJson(transactionsUrl, sale("T01-10"), auth);
    await postJson(transactionsUrl, sale("T01-11"), auth);
    await agent.replayer.pushOnce();
    const { status, body } = await getJson(`${agent.url}/pos/v1/status`, auth);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      location: "store-001",
      running: true,
      online: false,
      backlog: 2,
      oldestPendingSequence: 1,
      lastSequence: 2,
      lastSuccessfulPushAt: null,
      deadLetters: 0,
      lastPushError: { message: expect.stringContaining("fetch failed") },
    });
    expect(body.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(0);
  });

  it("serves its OpenAPI document", async () => {
    const { status, body } = await getJson(`${agent.url}/pos/v1/openapi.json`);
    expect(status).toBe(200);
    expect(Object.keys(body.paths as object)).toEqual(expect.arrayContaining(["/pos/v1/transactions", "/pos/v1/items/{skuOrBarcode}", "/pos/v1/customers/{loyaltyIdOrCustomerId}", "/pos/v1/status"]));
  });
});
