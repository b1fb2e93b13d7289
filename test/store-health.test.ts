import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { storeHealthBoard } from "../durable/objects.ts";
import { ManualClock } from "../shared/clock.ts";
import { call, createKey } from "./api.ts";
import { useClock } from "./clock.ts";
import { expectProblem } from "./fixtures.ts";
import { createStore } from "./store-fixtures.ts";

const report = (overrides: Record<string, unknown> = {}) => ({
  agentVersion: "0.1.0",
  backlog: 3,
  oldestPendingAt: "2026-12-02T09:59:00.000Z",
  lastPushAt: "2026-12-02T09:58:00.000Z",
  lastPullAt: "2026-12-02T09:59:30.000Z",
  deadLetters: 0,
  ...overrides,
});

describe("store health", () => {
  it("lists every store location, unknown until its agent reports, then online with its figures", async () => {
    const store = await createStore();
    const before = await call("GET", "/v1/stores", { key: store.tenant.adminKey });
    expect(before.status).toBe(200);
    expect(before.body.offlineAfterSeconds).toBe(90);
    // store-a and store-b are stores; wh-1 is a warehouse and is not listed.
    expect(before.body.stores.map((s: { location: string; status: string }) => [s.location, s.status])).toEqual([
      ["store-a", "unknown"],
      ["store-b", "unknown"],
    ]);

    const reported = await call("POST", "/v1/stores/store-a/health", { key: store.storeKey, body: report() });
    expect(reported.status).toBe(200);
    expect(reported.body).toMatchObject({ location: "store-a", status: "online", backlog: 3, agentVersion: "0.1.0", deadLetters: 0, offlineSince: null });
    const after = await call("GET", "/v1/stores", { key: store.tenant.adminKey });
    expect(after.body.stores[0]).toMatchObject({ location: "store-a", status: "online", backlog: 3, oldestPendingAt: "2026-12-02T09:59:00.000Z" });
    expect(after.body.stores[1]).toMatchObject({ location: "store-b", status: "unknown", backlog: null });
  });

  it("marks a silent store offline after the bound, since its last report, and online again at its next report", async () => {
    const store = await createStore();
    const board = storeHealthBoard(env, store.tenant.id);
    const clock = new ManualClock(Date.now());
    await useClock(board, clock);
    expect((await call("POST", "/v1/stores/store-a/health", { key: store.storeKey, body: report() })).status).toBe(200);
    const lastReport = clock.now();

    clock.advance(89_999);
    await runDurableObjectAlarm(board);
    expect((await call("GET", "/v1/stores/store-a/health", { key: store.tenant.adminKey })).body.status).toBe("online");

    clock.advance(1);
    await runDurableObjectAlarm(board);
    const offline = await call("GET", "/v1/stores/store-a/health", { key: store.tenant.adminKey });
    expect(offline.body).toMatchObject({ status: "offline", offlineSince: new Date(lastReport).toISOString(), onlineSince: null });

    clock.advance(60_000);
    const back = await call("POST", "/v1/stores/store-a/health", { key: store.storeKey, body: report({ backlog: 0, oldestPendingAt: null }) });
    expect(back.body).toMatchObject({ status: "online", offlineSince: null, onlineSince: new Date(clock.now()).toISOString(), backlog: 0 });
    const detail = await call("GET", "/v1/stores/store-a/health", { key: store.storeKey });
    expect(detail.body.samples.map((s: { status: string }) => s.status)).toEqual(["online", "offline", "online"]);
  });

  it("keeps one sample per 5 minutes while a store reports every 30 seconds", async () => {
    const store = await createStore();
    const clock = new ManualClock(Date.now());
    await useClock(storeHealthBoard(env, store.tenant.id), clock);
    for (let i = 0; i < 21; i += 1) {
      expect((await call("POST", "/v1/stores/store-a/health", { key: store.storeKey, body: report({ backlog: i }) })).status).toBe(200);
      clock.advance(30_000);
    }
    const detail = await call("GET", "/v1/stores/store-a/health", { key: store.tenant.adminKey });
    // Reports at 0, 30 s, …, 600 s: samples at 0, 300 s and 600 s.
    expect(detail.body.samples.map((s: { backlog: number }) => s.backlog)).toEqual([0, 10, 20]);
    expect(detail.body.backlog).toBe(20);
  });

  it("takes reports only from the store's own key, shows a store key its own store only, and refuses bad reports unchanged", async () => {
    const store = await createStore();
    expectProblem(await call("POST", "/v1/stores/store-a/health", { key: store.otherStoreKey, body: report() }), 403, "forbidden");
    expectProblem(await call("POST", "/v1/stores/store-a/health", { key: store.tenant.adminKey, body: report() }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/stores/store-a/health", { key: store.otherStoreKey }), 403, "forbidden");
    expectProblem(await call("GET", "/v1/stores", { key: store.storeKey }), 403, "forbidden");
    const readonly = await createKey(store.tenant, { role: "readonly" });
    expect((await call("GET", "/v1/stores", { key: readonly })).status).toBe(200);

    expectProblem(await call("POST", "/v1/stores/store-a/health", { key: store.storeKey, body: report({ backlog: -1 }) }), 400, "validation_failed");
    expectProblem(await call("POST", "/v1/stores/store-a/health", { key: store.storeKey, body: report({ oldestPendingAt: "yesterday" }) }), 400, "validation_failed");
    expectProblem(await call("POST", "/v1/stores/store-a/health", { key: store.storeKey, body: report({ agentVersion: "1.0 <script>" }) }), 400, "validation_failed");
    expectProblem(await call("POST", "/v1/stores/store-a/health", { key: store.storeKey, body: { ...report(), extra: 1 } }), 400, "validation_failed");
    const unchanged = await call("GET", "/v1/stores/store-a/health", { key: store.tenant.adminKey });
    expect(unchanged.body).toMatchObject({ status: "unknown", backlog: null, samples: [] });
    expectProblem(await call("GET", "/v1/stores/nowhere/health", { key: store.tenant.adminKey }), 422, "unknown_location");
  });
});
