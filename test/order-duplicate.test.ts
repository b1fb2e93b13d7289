import { describe, expect, it } from "vitest";
import { orderIdOf } from "../durable/objects.ts";
import { call, tenantWithStock, unique } from "./api.ts";
import { expectProblem } from "./fixtures.ts";
import { ledgerOf, orderBody, reservedOf, submitOrder } from "./order-api.ts";

describe("a re-sent order is a duplicate by its natural key", () => {
  it("answers the first order, whatever the Idempotency-Key, and reserves nothing more", async () => {
    const { tenant, skus: [a, b] } = await tenantWithStock({ "wh-1": 10 }, { "wh-1": 10 });
    const body = orderBody([[a, 2], [b, 1]]);

    const first = await submitOrder(tenant.adminKey, body, unique("idem"));
    const again = await submitOrder(tenant.adminKey, body, unique("idem"));
    // Even a changed body under the same (channel, externalId) is the same order.
    const changed = await submitOrder(tenant.adminKey, { ...body, lines: [{ sku: a, qty: 7, unitPrice: 1 }] }, unique("idem"));

    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    for (const duplicate of [again, changed]) {
      expect(duplicate.status).toBe(201);
      expect(duplicate.headers.get("idempotent-replayed")).toBe("true");
      expect(duplicate.body).toEqual(first.body);
    }
    expect(first.body.id).toBe(await orderIdOf(tenant.id, "web", body.externalId));
    expect([await reservedOf(tenant, a), await reservedOf(tenant, b)]).toEqual([2, 1]);
    expect(await ledgerOf(tenant, a, "reservation")).toHaveLength(1);
    expect(await ledgerOf(tenant, b, "reservation")).toHaveLength(1);
  });

  it("takes concurrent copies of one order once", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 10 });
    const body = orderBody([[sku, 3]]);

    const answers = await Promise.all(Array.from({ length: 6 }, () => submitOrder(tenant.adminKey, body, unique("idem"))));

    expect(answers.map((answer) => answer.status)).toEqual(Array(6).fill(201));
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect(answers.filter((answer) => answer.headers.get("idempotent-replayed") === null)).toHaveLength(1);
    expect(await reservedOf(tenant, sku)).toBe(3);
    expect(await ledgerOf(tenant, sku, "reservation")).toHaveLength(1);
  });

  it("refuses an Idempotency-Key reused for another order; that order is not created", async () => {
    const { tenant, skus: [sku] } = await tenantWithStock({ "wh-1": 10 });
    const key = unique("idem");
    expect((await submitOrder(tenant.adminKey, orderBody([[sku, 1]]), key)).status).toBe(201);
    const other = orderBody([[sku, 2]]);

    expectProblem(await submitOrder(tenant.adminKey, other, key), 409, "idempotency_conflict");

    const id = await orderIdOf(tenant.id, "web", other.externalId);
    expectProblem(await call("GET", `/v1/orders/${id}`, { key: tenant.adminKey }), 404, "not_found");
    expect(await reservedOf(tenant, sku)).toBe(1);
  });
});
