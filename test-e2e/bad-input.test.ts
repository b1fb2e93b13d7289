import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { edgeCall } from "../scripts/edge-client.ts";
import { maxStoreBatch } from "../shared/schemas/store-transactions.ts";
import { bearer } from "../store-agent/testing/fixtures.ts";
import {
  agentStatus,
  edgeExceptions,
  edgeLedger,
  edgePosEntries,
  location,
  post,
  posTransaction,
  recordAtTerminal,
  waitForDrain,
  type Answer,
  storeWithAgent,
  useEdge,
} from "./harness.ts";

const sku = "TEE-RED-M";
const host = useEdge("bad-input");
/** A store of its own for each test (a new tenant at the shared edge) and an agent with its own data dir. */
const newStore = () => storeWithAgent(host.edge, "bad-input", { [sku]: 30 });

/**
 * POSTs a large body the way a careful client does, with `Expect: 100-continue`:
 * the edge refuses an oversized body from its Content-Length before reading it
 * and closes the connection, so a client that writes the whole body anyway can
 * see EPIPE instead of the 413.
 */
function postAskingFirst(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body), expect: "100-continue" } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"] ?? null, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on("continue", () => req.end(body));
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error("no answer in 30 s")));
  });
}

function expectProblem(answer: Answer, status: number, code: string): void {
  expect([answer.status, answer.contentType, answer.body?.code], JSON.stringify(answer.body)).toEqual([status, "application/problem+json", code]);
  expect(answer.body).toMatchObject({ status, type: expect.stringContaining(code), title: expect.any(String), detail: expect.any(String), instance: expect.any(String) });
}

describe("bad input, each test on a store of its own", () => {
  it("the POS API answers malformed JSON, wrong types and missing lines with problem+json 400 and records nothing", async () => {
    const rig = await newStore();
    const valid = posTransaction("T01-000001", "T01", [{ sku, qty: 1 }]);
    const transactions = `${rig.agent.url}/pos/v1/transactions`;
    const asTerminal = bearer(rig.agent.token);
    expectProblem(await post(transactions, '{"transactionId": "T01-000001", "lines": [', asTerminal), 400, "malformed_json");
    expectProblem(await post(transactions, "not json at all", asTerminal), 400, "malformed_json");

    const wrongQty = await post(transactions, { ...valid, lines: [{ sku, qty: "two", unitPrice: 1999 }] }, asTerminal);
    expectProblem(wrongQty, 400, "validation_failed");
    expect(wrongQty.body.detail).toContain("lines.0.qty");
    const wrongId = await post(transactions, { ...valid, transactionId: 42 }, asTerminal);
    expectProblem(wrongId, 400, "validation_failed");
    expect(wrongId.body.detail).toContain("transactionId");
    const { lines: _lines, ...withoutLines } = valid;
    const missing = await post(transactions, withoutLines, asTerminal);
    expectProblem(missing, 400, "validation_failed");
    expect(missing.body.detail).toContain("lines");
    expectProblem(await post(transactions, { ...valid, lines: [] }, asTerminal), 400, "validation_failed");
    expectProblem(await post(transactions, JSON.stringify(valid), { "content-type": "text/plain", ...asTerminal }), 415, "unsupported_media_type");

    const status = await agentStatus(rig.agent);
    expect(status).toMatchObject({ backlog: 0, lastSequence: 0 });
    // The id of the refused attempts is still free: the corrected transaction is the store's first.
    const recorded = await recordAtTerminal(rig.agent, valid);
    expect([recorded.status, recorded.body.sequence]).toEqual([201, 1]);
    await waitForDrain(rig.agent, 30_000);
  });

  it("a sale of a SKU nobody knows is recorded (201), reaches the edge and surfaces as an unknown_sku exception, not a refusal", async () => {
    const rig = await newStore();
    const sale = posTransaction("T02-000001", "T02", [{ sku: "NOPE-404", qty: 2 }, { sku, qty: 1 }]);
    const answer = await recordAtTerminal(rig.agent, sale);
    expect(answer.status).toBe(201);
    const status = await waitForDrain(rig.agent, 30_000);
    expect(status).toMatchObject({ deadLetters: 0, lastSequence: 1, edgeHighWaterMark: 1 });

    const unknown = (await edgeExceptions(host.edge.url, rig.store.adminKey)).filter((e) => e.type === "unknown_sku");
    expect(unknown).toEqual([
      expect.objectContaining({
        correlationId: sale.transactionId,
        subject: `sku:NOPE-404@${location}`,
        payload: { location, transactionId: sale.transactionId, codes: [{ sku: "NOPE-404", lines: [1], held: true }] },
      }),
    ]);
    // Accepted, but nothing knew the code: its line is held on the exception, not counted under a SKU made up on the spot.
    expect((await edgePosEntries(host.edge.url, rig.store.adminKey, sku)).map((e) => e.reference)).toEqual([`pos:${sale.transactionId}:2`]);
  });

  it("the edge's store endpoint refuses bad keys, another store's key, oversized batches and malformed JSON with problem+json, changing nothing", async () => {
    const rig = await newStore();
    // The store's own history so far: one sale, sequence 1, at the edge.
    expect((await recordAtTerminal(rig.agent, posTransaction("T01-000001", "T01", [{ sku, qty: 1 }]))).status).toBe(201);
    expect(await waitForDrain(rig.agent, 30_000)).toMatchObject({ lastSequence: 1, edgeHighWaterMark: 1 });

    const endpoint = `${host.edge.url}/v1/stores/${location}/transactions`;
    const state = async () => ({
      inventory: await edgeCall(host.edge.url, "GET", `/v1/inventory/${sku}`, { key: rig.store.adminKey }),
      ledger: await edgeLedger(host.edge.url, rig.store.adminKey, sku),
    });
    const before = await state();
    // Sequences far above the store's (1): were any of them recorded, the edge would report a gap below them.
    const batch = (count: number) => ({
      transactions: Array.from({ length: count }, (_, i) => ({ sequence: 10 + i, transaction: posTransaction(`BAD-${String(i).padStart(4, "0")}`, "T09", [{ sku, qty: 1 }]) })),
    });
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    const readonlyKey = (await edgeCall<{ key: string }>(host.edge.url, "POST", "/v1/keys", { key: rig.store.adminKey, body: { role: "readonly" } })).key;

    expectProblem(await post(endpoint, batch(1), as(`ssk_${rig.store.tenantId}_${"x".repeat(40)}`)), 401, "unauthorized");
    expectProblem(await post(endpoint, batch(1), as("not-a-key")), 401, "unauthorized");
    expectProblem(await post(endpoint, batch(1)), 401, "unauthorized");
    expectProblem(await post(endpoint, batch(1), as(readonlyKey)), 403, "forbidden");
    const otherStore = await post(endpoint, batch(1), as(rig.store.otherStoreKey));
    expectProblem(otherStore, 403, "forbidden");
    expect(otherStore.body.detail).toContain("store-002");
    const tooMany = await post(endpoint, batch(maxStoreBatch + 1), as(rig.store.storeKey));
    expectProblem(tooMany, 413, "payload_too_large");
    expect(tooMany.body.limit).toBe(maxStoreBatch);
    const huge = batch(1);
    (huge.transactions[0]!.transaction as Record<string, unknown>).customerId = "x".repeat(5 * 1024 * 1024);
    expectProblem(await postAskingFirst(endpoint, JSON.stringify(huge), as(rig.store.storeKey)), 413, "payload_too_large");
    expectProblem(await post(endpoint, '{"transactions": [{"sequence": 10,', as(rig.store.storeKey)), 400, "malformed_json");
    expectProblem(await post(endpoint, { transactions: [{ transaction: batch(1).transactions[0]!.transaction }] }, as(rig.store.storeKey)), 400, "validation_failed");

    expect(await state()).toEqual(before);
    // And the store's own history goes on without a gap: nothing of the refused batches was received.
    const next = await recordAtTerminal(rig.agent, posTransaction("T01-000002", "T01", [{ sku, qty: 1 }]));
    expect(next.status).toBe(201);
    expect(await waitForDrain(rig.agent, 30_000)).toMatchObject({ lastSequence: 2, edgeHighWaterMark: 2, edgeGaps: [], lastPushError: null });
    expect((await edgePosEntries(host.edge.url, rig.store.adminKey, sku)).map((e) => e.reference)).toEqual(["pos:T01-000001:1", "pos:T01-000002:1"]);
  });
});
