import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createStockedTenant, reserve, setStock, tenantWithStock, unique, type ApiResponse, type TestTenant } from "./api.ts";
import { eventually } from "./fixtures-model.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { availabilityIndex } from "../durable/objects.ts";

interface Change {
  sku: string;
  available: number;
  seq: number;
}

function availability(tenant: TestTenant, sku: string, channel: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return call("GET", `/v1/availability/${sku}?channel=${channel}`, { key: tenant.adminKey, headers });
}

/** Polls one SKU's figure on a channel until it is `expected` (the read model trails the SKU objects). */
async function expectAvailability(tenant: TestTenant, sku: string, channel: string, expected: number): Promise<ApiResponse> {
  const answer = await eventually(
    () => availability(tenant, sku, channel),
    (response) => response.status === 200 && response.body.available === expected,
  );
  expect({ status: answer.status, channel, available: answer.body?.available }).toEqual({ status: 200, channel, available: expected });
  return answer;
}

/** expectAvailability for each channel in turn, e.g. `{ web: 35, pos: 10 }`. */
async function expectAvailabilities(tenant: TestTenant, sku: string, expected: Record<string, number>): Promise<void> {
  for (const [channel, available] of Object.entries(expected)) await expectAvailability(tenant, sku, channel, available);
}

function changes(tenant: TestTenant, channel: string, query: { cursor?: string; limit?: number } = {}): Promise<ApiResponse> {
  const params = new URLSearchParams({ channel });
  if (query.cursor !== undefined) params.set("cursor", query.cursor);
  if (query.limit !== undefined) params.set("limit", String(query.limit));
  return call("GET", `/v1/availability/changes?${params}`, { key: tenant.adminKey });
}

function changeList(response: ApiResponse): Change[] {
  expect(response.status).toBe(200);
  return response.body.changes as Change[];
}

async function putChannel(tenant: TestTenant, channel: string, rules: Record<string, unknown>): Promise<void> {
  const answer = await call("PUT", `/v1/channels/${channel}`, { key: tenant.adminKey, body: rules });
  expect(answer.status).toBe(200);
}

describe("availability read model", () => {
  // Hundreds of requests would print as many access-log lines.
  quietAccessLog();

  it("shows each channel its pool less its buffer, capped by maxUnits and by maxPercent", async () => {
    const tenant = await createStockedTenant();
    const pool = ["wh-1", "store-a"];
    await putChannel(tenant, "buffered", { locations: pool, bufferUnits: 3 });
    await putChannel(tenant, "capped-units", { locations: pool, maxUnits: 5 });
    await putChannel(tenant, "capped-percent", { locations: pool, maxPercent: 30 });
    await putChannel(tenant, "combined", { locations: pool, bufferUnits: 3, maxUnits: 100, maxPercent: 50 });
    const sku = unique("sku");
    await setStock(tenant, sku, "wh-1", 20, 2);
    await setStock(tenant, sku, "store-a", 10);
    await setStock(tenant, sku, "store-b", 7);

    // Pool wh-1 + store-a: 18 + 10 = 28 available; store-b only counts for web.
    await expectAvailabilities(tenant, sku, { web: 35, pos: 10, buffered: 25, "capped-units": 5, "capped-percent": 8, combined: 14 });

    // Pool down to 4 (wh-1: 4 - 2 safety; store-a: 10 - 8 reserved): now the caps no longer bind.
    expect((await reserve(tenant, sku, { qty: 8, channel: "pos", location: "store-a" })).status).toBe(201);
    const adjusted = await call("POST", `/v1/inventory/${sku}/adjustments`, {
      key: tenant.adminKey,
      idempotencyKey: unique("idem"),
      body: { location: "wh-1", delta: -16, reason: "damaged", reference: "count-1" },
    });
    expect(adjusted.status).toBe(201);
    await expectAvailabilities(tenant, sku, { web: 11, pos: 2, buffered: 1, "capped-units": 4, "capped-percent": 1, combined: 1 });
  });

  it("returns an ETag, answers 304 to If-None-Match with it, and a new ETag after a change", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 6 });
    const first = await expectAvailability(tenant, sku, "web", 6);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[^"]+"$/);

    const unchanged = await availability(tenant, sku, "web", { "if-none-match": etag! });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toBeNull();
    expect((await availability(tenant, sku, "web", { "if-none-match": `"other", W/${etag}` })).status).toBe(304);
    expect((await availability(tenant, sku, "web", { "if-none-match": '"not-this-one"' })).status).toBe(200);

    await setStock(tenant, sku, "store-a", 4);
    const changed = await expectAvailability(tenant, sku, "web", 4);
    const newEtag = changed.headers.get("etag");
    expect(newEtag).toMatch(/^"[^"]+"$/);
    expect(newEtag).not.toBe(etag);
    const stale = await availability(tenant, sku, "web", { "if-none-match": etag! });
    expect(stale.status).toBe(200);
    expect(stale.body.available).toBe(4);
    expect((await availability(tenant, sku, "web", { "if-none-match": newEtag! })).status).toBe(304);
  });

  it("answers a bulk query with every stocked SKU and lists the never-stocked ones as unknown", async () => {
    const tenant = await createStockedTenant();
    const stocked = [unique("sku"), unique("sku"), unique("sku")];
    const never = [unique("never"), unique("never")];
    await Promise.all(stocked.map((sku, index) => setStock(tenant, sku, "store-a", index + 1)));

    const answer = await eventually(
      () => call("GET", `/v1/availability?channel=pos&skus=${[...stocked, ...never].join(",")}`, { key: tenant.adminKey }),
      (response) => response.status !== 200 || (response.body.items as unknown[]).length === stocked.length,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.channel).toBe("pos");
    const figures = Object.fromEntries((answer.body.items as { sku: string; available: number }[]).map((item) => [item.sku, item.available]));
    expect(figures).toEqual({ [stocked[0]!]: 1, [stocked[1]!]: 2, [stocked[2]!]: 3 });
    expect([...answer.body.unknown].sort()).toEqual([...never].sort());
  });

  it("answers not_found for a SKU never stocked and unknown_channel for a channel that does not exist", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "store-a": 2 });
    await expectAvailability(tenant, sku, "pos", 2);

    expectProblem(await availability(tenant, unique("never"), "pos"), 404, "not_found");
    expectProblem(await availability(tenant, sku, "no-such-channel"), 422, "unknown_channel");
    expectProblem(await changes(tenant, "no-such-channel"), 422, "unknown_channel");
  });

  it("answers a bulk query for 500 SKUs in one call", async () => {
    const tenant = await createStockedTenant();
    const base = unique("b");
    const skus = Array.from({ length: 500 }, (_, index) => `${base}-${index}`);
    const never = [`${base}-never-1`, `${base}-never-2`];
    for (let start = 0; start < skus.length; start += 100) {
      await Promise.all(skus.slice(start, start + 100).map((sku, offset) => setStock(tenant, sku, "store-b", ((start + offset) % 7) + 1)));
    }

    const answer = await eventually(
      () => call("GET", `/v1/availability?channel=web&skus=${[...skus, ...never].join(",")}`, { key: tenant.adminKey }),
      (response) => response.status !== 200 || (response.body.items as unknown[]).length === skus.length,
      5_000,
      100,
    );
    expect({ status: answer.status, code: answer.body?.code }).toEqual({ status: 200, code: undefined });
    const figures = new Map((answer.body.items as { sku: string; available: number }[]).map((item) => [item.sku, item.available]));
    expect(figures.size).toBe(500);
    skus.forEach((sku, index) => expect(figures.get(sku), sku).toBe((index % 7) + 1));
    expect([...answer.body.unknown].sort()).toEqual([...never].sort());
  });

  it("feeds changes by cursor: everything first, then only what changed after it, page by page", async () => {
    const tenant = await createStockedTenant();
    const skus = [unique("sku"), unique("sku"), unique("sku")];
    for (const [index, sku] of skus.entries()) await setStock(tenant, sku, "wh-1", 5 + index);

    const first = await eventually(
      () => changes(tenant, "web"),
      (response) => response.status === 200 && (response.body.changes as unknown[]).length === 3,
    );
    const listed = changeList(first);
    expect(Object.fromEntries(listed.map((change) => [change.sku, change.available]))).toEqual({ [skus[0]!]: 5, [skus[1]!]: 6, [skus[2]!]: 7 });
    const seqs = listed.map((change) => change.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(3);
    expect(first.body.hasMore).toBe(false);
    const cursor = first.body.nextCursor as string;
    expect(cursor).toBe(String(Math.max(...seqs)));

    const quiet = await changes(tenant, "web", { cursor });
    expect(changeList(quiet)).toEqual([]);
    expect(quiet.body).toMatchObject({ hasMore: false, nextCursor: cursor });

    await setStock(tenant, skus[1]!, "wh-1", 9);
    const after = await eventually(
      () => changes(tenant, "web", { cursor }),
      (response) => response.status === 200 && (response.body.changes as unknown[]).length > 0,
    );
    const changed = changeList(after);
    expect(changed).toEqual([expect.objectContaining({ sku: skus[1], available: 9 })]);
    expect(changed[0]!.seq).toBeGreaterThan(Number(cursor));
    expect(after.body.nextCursor).toBe(String(changed[0]!.seq));

    // limit=2: two pages cover the three SKUs once each.
    const page1 = await changes(tenant, "web", { limit: 2 });
    expect(changeList(page1)).toHaveLength(2);
    expect(page1.body.hasMore).toBe(true);
    const page2 = await changes(tenant, "web", { limit: 2, cursor: page1.body.nextCursor });
    expect(changeList(page2)).toHaveLength(1);
    expect(page2.body.hasMore).toBe(false);
    const paged = [...changeList(page1), ...changeList(page2)];
    expect(paged.map((change) => change.sku).sort()).toEqual([...skus].sort());
    expect(Object.fromEntries(paged.map((change) => [change.sku, change.available]))).toEqual({ [skus[0]!]: 5, [skus[1]!]: 9, [skus[2]!]: 7 });
  });

  it("coalesces 100 rapid reservations on one SKU into far fewer publishes", async () => {
    // Only wh-1 holds stock: pos (store-a) stays at 0, so every feed step of this tenant is a web change of this SKU.
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 200 });
    await expectAvailability(tenant, sku, "web", 200);
    const seqOf = async () => changeList(await changes(tenant, "web")).find((change) => change.sku === sku)!.seq;
    const before = await seqOf();
    const versionBefore = (await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey })).body.version as number;

    for (let wave = 0; wave < 10; wave += 1) {
      const answers = await Promise.all(Array.from({ length: 10 }, () => reserve(tenant, sku, { qty: 1, channel: "web" })));
      expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
    }
    await expectAvailability(tenant, sku, "web", 100);
    const publishes = (await seqOf()) - before;

    const inventory = await call("GET", `/v1/inventory/${sku}`, { key: tenant.adminKey });
    expect(inventory.body.version - versionBefore).toBe(100);
    expect(publishes).toBeGreaterThanOrEqual(1);
    expect(publishes).toBeLessThanOrEqual(20);

    // The read model holds the SKU's latest version, and nothing else moved its sequence.
    const stored = await runInDurableObject(availabilityIndex(env, tenant.id), (_instance, state) => ({
      version: state.storage.sql.exec<{ version: number }>("SELECT version FROM sku_figures WHERE sku = ?", sku).one().version,
      lastSeq: state.storage.sql.exec<{ last_seq: number }>("SELECT last_seq FROM index_meta").one().last_seq,
    }));
    expect(stored).toEqual({ version: inventory.body.version, lastSeq: before + publishes });
  });

  it("recomputes every SKU's figure for a channel when its rules change", async () => {
    const { tenant, skus: [big, small] } = await tenantWithStock({ "wh-1": 10, "store-a": 5, "store-b": 5 }, { "store-b": 3 });
    await expectAvailability(tenant, big, "web", 20);
    await expectAvailability(tenant, small, "web", 3);
    const cursor = (await changes(tenant, "web")).body.nextCursor as string;

    await putChannel(tenant, "web", { locations: ["wh-1", "store-a", "store-b"], bufferUnits: 4, maxUnits: 12 });
    await expectAvailability(tenant, big, "web", 12);
    await expectAvailability(tenant, small, "web", 0);
    await expectAvailability(tenant, big, "pos", 5);
    const fed = changeList(await changes(tenant, "web", { cursor }));
    expect(Object.fromEntries(fed.map((change) => [change.sku, change.available]))).toEqual({ [big]: 12, [small]: 0 });

    await putChannel(tenant, "web", { locations: ["store-a"], bufferUnits: 4, maxUnits: 12 });
    await expectAvailability(tenant, big, "web", 1);
    await expectAvailability(tenant, small, "web", 0);
  });
});
