import { describe, expect, it } from "vitest";
import { call, createKey, createStockedTenant, createTenant, setStock, unique, type TestTenant } from "./api.ts";
import { exceptionById, exceptionsOf, replay, resolve } from "./exception-fixtures.ts";
import { expectProblem } from "./fixtures.ts";
import { orderBody, reservedOf, submitOrder } from "./order-api.ts";

/** A backorder exception whose replay would reserve (stock arrived): any effect of a bad request would show. */
async function replayable(tenant: TestTenant) {
  const sku = unique("sku");
  await setStock(tenant, sku, "wh-1", 1);
  await submitOrder(tenant.adminKey, orderBody([[sku, 2]]));
  const [exception] = await exceptionsOf(tenant, "?type=backorder");
  await setStock(tenant, sku, "store-b", 5);
  return { sku, exception: exception! };
}

describe("bad requests to the exception queue change nothing", () => {
  it("an unknown id is 404 not_found for read, replay and resolve", async () => {
    const tenant = await createTenant();
    expectProblem(await call("GET", "/v1/exceptions/exc_00000000000000000000", { key: tenant.adminKey }), 404, "not_found");
    expectProblem(await replay(tenant.adminKey, "exc_00000000000000000000"), 404, "not_found");
    expectProblem(await resolve(tenant.adminKey, "exc_00000000000000000000", { note: "n/a" }), 404, "not_found");
    expectProblem(await call("GET", "/v1/exceptions/not-an-id", { key: tenant.adminKey }), 404, "not_found");
  });

  it("bad bodies, a missing or reused Idempotency-Key and bad filters are refused with their code", async () => {
    const tenant = await createStockedTenant();
    const { sku, exception } = await replayable(tenant);
    const before = await exceptionById(tenant, exception.id);

    for (const body of [{}, { note: "" }, { note: "   " }, { note: "x".repeat(1001) }, { note: "ok", state: "open" }, { note: "ok", state: "retrying" }, { note: "ok", extra: 1 }]) {
      expectProblem(await resolve(tenant.adminKey, exception.id, body), 400, "validation_failed");
    }
    expectProblem(await call("POST", `/v1/exceptions/${exception.id}/resolve`, { key: tenant.adminKey, idempotencyKey: unique("idem"), rawBody: "{not json" }), 400, "malformed_json");
    expectProblem(await resolve(tenant.adminKey, exception.id, { note: "ok" }, ""), 400, "idempotency_key_required");
    for (const body of [{ note: 5 }, { note: "" }, { reason: "x" }]) {
      expectProblem(await replay(tenant.adminKey, exception.id, unique("idem"), body), 400, "validation_failed");
    }
    expectProblem(await replay(tenant.adminKey, exception.id, ""), 400, "idempotency_key_required");
    expectProblem(await call("GET", "/v1/exceptions?state=closed", { key: tenant.adminKey }), 400, "validation_failed");
    expectProblem(await call("GET", "/v1/exceptions?type=nope", { key: tenant.adminKey }), 400, "validation_failed");
    expectProblem(await call("GET", "/v1/exceptions?cursor=abc", { key: tenant.adminKey }), 400, "validation_failed");

    expect(await exceptionById(tenant, exception.id)).toEqual(before);
    expect(await reservedOf(tenant, sku)).toBe(0);
  });

  it("the same Idempotency-Key for another exception or another body is idempotency_conflict", async () => {
    const tenant = await createStockedTenant();
    const { sku, exception } = await replayable(tenant);
    const before = await exceptionById(tenant, exception.id);
    expectProblem(await resolve(tenant.adminKey, `exc_${"1".repeat(20)}`, { note: "first" }, "key-1"), 404, "not_found");
    expectProblem(await replay(tenant.adminKey, `exc_${"1".repeat(20)}`, "key-2"), 404, "not_found");

    expectProblem(await resolve(tenant.adminKey, `exc_${"1".repeat(20)}`, { note: "second" }, "key-1"), 409, "idempotency_conflict");
    expectProblem(await replay(tenant.adminKey, exception.id, "key-2"), 409, "idempotency_conflict");

    expect(await exceptionById(tenant, exception.id)).toEqual(before);
    expect(await reservedOf(tenant, sku)).toBe(0);
  });

  it("a key of another tenant sees nothing and changes nothing; other roles may read but not act", async () => {
    const tenant = await createStockedTenant();
    const other = await createStockedTenant();
    const { sku, exception } = await replayable(tenant);
    const before = await exceptionById(tenant, exception.id);

    expectProblem(await call("GET", `/v1/exceptions/${exception.id}`, { key: other.adminKey }), 404, "not_found");
    expectProblem(await replay(other.adminKey, exception.id), 404, "not_found");
    expectProblem(await resolve(other.adminKey, exception.id, { note: "not mine" }), 404, "not_found");
    expect(await exceptionsOf(other)).toEqual([]);

    const readonly = await createKey(tenant, { role: "readonly" });
    const channel = await createKey(tenant, { role: "channel", channel: "web" });
    expect((await call("GET", `/v1/exceptions/${exception.id}`, { key: readonly })).status).toBe(200);
    expectProblem(await replay(readonly, exception.id), 403, "forbidden");
    expectProblem(await resolve(readonly, exception.id, { note: "read only" }), 403, "forbidden");
    expectProblem(await call("GET", `/v1/exceptions/${exception.id}`, { key: channel }), 403, "forbidden");
    expectProblem(await replay(channel, exception.id), 403, "forbidden");
    expectProblem(await call("GET", `/v1/exceptions/${exception.id}`), 401, "unauthorized");
    expectProblem(await replay("ssk_nobody_" + "a".repeat(40), exception.id), 401, "unauthorized");

    expect(await exceptionById(tenant, exception.id)).toEqual(before);
    expect(await reservedOf(tenant, sku)).toBe(0);
  });
});
