import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { customerDirectory } from "../durable/objects.ts";
import { ManualClock } from "../shared/clock.ts";
import { defaultLoyaltySettings } from "../shared/schemas/loyalty.ts";
import { call, createKey, createStockedTenant, createTenant, unique, type TestTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";

quietAccessLog();

/** A tenant whose directory runs on a clock the test moves, so "older" and "newer" customers are certain. */
async function tenantWithClock(settings?: Record<string, unknown>): Promise<{ tenant: TestTenant; clock: ManualClock }> {
  const tenant = await createTenant();
  const clock = new ManualClock(Date.parse("2026-12-01T10:00:00.000Z"));
  await useClock(customerDirectory(env, tenant.id), clock);
  if (settings) expect((await call("PUT", "/v1/customers/settings", { key: tenant.adminKey, body: settings })).status).toBe(200);
  return { tenant, clock };
}

function putCustomer(key: string, id: string, body: Record<string, unknown>) {
  return call("PUT", `/v1/customers/${id}`, { key, body });
}

function lookUp(key: string, query: Record<string, string>) {
  return call("GET", `/v1/customers?${new URLSearchParams(query)}`, { key });
}

async function foundIds(key: string, query: Record<string, string>): Promise<string[]> {
  const found = await lookUp(key, query);
  expect(found.status).toBe(200);
  return found.body.customers.map((customer: { id: string }) => customer.id);
}

describe("customers", () => {
  it("creates a customer with normalised contact, replaces it whole, and reads it back", async () => {
    const { tenant, clock } = await tenantWithClock();
    const created = await putCustomer(tenant.adminKey, "cust-1", { email: "  Jane.Doe@Example.COM ", phone: "+44 20 7946 0958", name: "Jane Doe", loyaltyId: "LOY-1" });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      id: "cust-1",
      email: "jane.doe@example.com",
      phone: "+442079460958",
      name: "Jane Doe",
      loyaltyId: "LOY-1",
      createdAt: "2026-12-01T10:00:00.000Z",
      updatedAt: "2026-12-01T10:00:00.000Z",
      mergedInto: null,
      erased: false,
    });

    clock.advance(60_000);
    const replaced = await putCustomer(tenant.adminKey, "cust-1", { email: "jane@example.org" });
    expect(replaced.body).toMatchObject({ email: "jane@example.org", phone: null, name: null, loyaltyId: null, createdAt: "2026-12-01T10:00:00.000Z", updatedAt: "2026-12-01T10:01:00.000Z" });
    expect((await call("GET", "/v1/customers/cust-1", { key: tenant.adminKey })).body).toEqual(replaced.body);
    expect(await foundIds(tenant.adminKey, { email: "jane.doe@example.com" })).toEqual([]);
  });

  it("finds a customer by email, phone or loyalty id however the value is written", async () => {
    const { tenant } = await tenantWithClock({ mergeDuplicates: true, defaultCountry: "GB" });
    expect((await putCustomer(tenant.adminKey, "cust-1", { email: "Jane.Doe@example.com", phone: "020 7946 0958", loyaltyId: "LOY-7" })).body.phone).toBe("+442079460958");

    for (const email of ["jane.doe@example.com", " JANE.DOE@EXAMPLE.COM "]) expect(await foundIds(tenant.adminKey, { email })).toEqual(["cust-1"]);
    for (const phone of ["+44 20 7946 0958", "+442079460958", "(020) 7946-0958", "0044 20 7946 0958"]) expect(await foundIds(tenant.adminKey, { phone })).toEqual(["cust-1"]);
    expect(await foundIds(tenant.adminKey, { loyaltyId: "LOY-7" })).toEqual(["cust-1"]);
    expect(await foundIds(tenant.adminKey, { email: "someone@example.com" })).toEqual([]);
  });

  it("reads a national number only with the tenant's defaultCountry", async () => {
    const { tenant } = await tenantWithClock();
    expect((await call("GET", "/v1/customers/settings", { key: tenant.adminKey })).body).toEqual({ mergeDuplicates: true, defaultCountry: null });
    expectProblem(await putCustomer(tenant.adminKey, "cust-1", { phone: "020 7946 0958" }), 422, "invalid_phone");
    expect((await putCustomer(tenant.adminKey, "cust-1", { phone: "+1 415 555 0100" })).body.phone).toBe("+14155550100");

    expect((await call("PUT", "/v1/customers/settings", { key: tenant.adminKey, body: { defaultCountry: "US" } })).body).toEqual({ mergeDuplicates: true, defaultCountry: "US" });
    expect(await foundIds(tenant.adminKey, { phone: "(415) 555-0100" })).toEqual(["cust-1"]);
    expectProblem(await call("PUT", "/v1/customers/settings", { key: tenant.adminKey, body: { defaultCountry: "XX" } }), 400, "validation_failed");
  });

  it("refuses bad input with a problem and changes nothing", async () => {
    const { tenant } = await tenantWithClock();
    const original = await putCustomer(tenant.adminKey, "cust-1", { email: "jane@example.com", phone: "+442079460958" });

    for (const phone of ["12", "+44 20 7946 0958 ext. 12", "call me", "+999 1234 5678", "+44 20 7946 0958 0958 0958"]) {
      expectProblem(await putCustomer(tenant.adminKey, "cust-1", { email: "other@example.com", phone }), 422, "invalid_phone");
    }
    for (const email of ["jane", "jane@example", "jane doe@example.com", "@example.com", ""]) {
      expectProblem(await putCustomer(tenant.adminKey, "cust-1", { email, phone: "+14155550100" }), 422, "invalid_email");
    }
    expectProblem(await putCustomer(tenant.adminKey, "cust-1", { email: "jane@example.com", birthday: "1990-01-01" }), 400, "validation_failed");
    expectProblem(await putCustomer(tenant.adminKey, "cust 1", { email: "jane@example.com" }), 400, "validation_failed");
    expectProblem(await putCustomer(tenant.adminKey, "cust-2", { email: "x@example.com", phone: "nope" }), 422, "invalid_phone");
    expect((await call("GET", "/v1/customers/cust-1", { key: tenant.adminKey })).body).toEqual(original.body);
    expectProblem(await call("GET", "/v1/customers/cust-2", { key: tenant.adminKey }), 404, "not_found");

    expectProblem(await lookUp(tenant.adminKey, { email: "jane" }), 422, "invalid_email");
    expectProblem(await lookUp(tenant.adminKey, { phone: "12" }), 422, "invalid_phone");
    expectProblem(await lookUp(tenant.adminKey, { email: "jane@example.com", phone: "+442079460958" }), 400, "validation_failed");
    expectProblem(await lookUp(tenant.adminKey, {}), 400, "validation_failed");
    expectProblem(await call("DELETE", "/v1/customers/nobody", { key: tenant.adminKey }), 404, "not_found");
    expectProblem(await call("POST", "/v1/customers/nobody/unmerge", { key: tenant.adminKey, idempotencyKey: unique("idem") }), 404, "not_found");
    expectProblem(await call("POST", "/v1/customers/cust-1/unmerge", { key: tenant.adminKey, idempotencyKey: unique("idem") }), 409, "conflict");
    expectProblem(await call("POST", "/v1/customers/cust-1/unmerge", { key: tenant.adminKey }), 400, "idempotency_key_required");
  });

  it("merges a newer duplicate into the older customer, answers the older in lookups, and unmerges it for good", async () => {
    const { tenant, clock } = await tenantWithClock();
    await putCustomer(tenant.adminKey, "older", { email: "jane@example.com", phone: "+442079460958" });
    clock.advance(1_000);
    const newer = await putCustomer(tenant.adminKey, "newer", { email: "JANE@example.com", phone: "+14155550100", name: "J. Doe" });
    expect(newer.body).toMatchObject({ id: "newer", mergedInto: "older", email: "jane@example.com" });

    expect(await foundIds(tenant.adminKey, { email: "jane@example.com" })).toEqual(["older"]);
    // The newer one's own phone finds the customer it was merged into.
    expect(await foundIds(tenant.adminKey, { phone: "+14155550100" })).toEqual(["older"]);
    const recorded = await runInDurableObject(customerDirectory(env, tenant.id), (_, state) => state.storage.sql.exec("SELECT customer_id, survivor_id, field, merged_at, unmerged_at FROM merges").toArray());
    expect(recorded).toEqual([{ customer_id: "newer", survivor_id: "older", field: "email", merged_at: Date.parse("2026-12-01T10:00:01.000Z"), unmerged_at: null }]);

    clock.advance(1_000);
    const idempotencyKey = unique("idem");
    const unmerged = await call("POST", "/v1/customers/newer/unmerge", { key: tenant.adminKey, idempotencyKey });
    expect(unmerged.status).toBe(200);
    expect(unmerged.body).toEqual({ customerId: "newer", survivorId: "older", field: "email", mergedAt: "2026-12-01T10:00:01.000Z", unmergedAt: "2026-12-01T10:00:02.000Z" });
    const replayed = await call("POST", "/v1/customers/newer/unmerge", { key: tenant.adminKey, idempotencyKey });
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");
    expect(replayed.body).toEqual(unmerged.body);

    expect((await call("GET", "/v1/customers/newer", { key: tenant.adminKey })).body.mergedInto).toBeNull();
    expect(await foundIds(tenant.adminKey, { email: "jane@example.com" })).toEqual(["older", "newer"]);
    // Written again, the two are not merged again: a person said they are two customers.
    expect((await putCustomer(tenant.adminKey, "newer", { email: "jane@example.com" })).body.mergedInto).toBeNull();
  });

  it("merges by phone too, and the older customer written again takes in newer duplicates", async () => {
    const { tenant, clock } = await tenantWithClock({ mergeDuplicates: false, defaultCountry: null });
    await putCustomer(tenant.adminKey, "first", { email: "a@example.com" });
    clock.advance(1_000);
    await putCustomer(tenant.adminKey, "second", { phone: "+442079460958" });
    await call("PUT", "/v1/customers/settings", { key: tenant.adminKey, body: { mergeDuplicates: true } });
    clock.advance(1_000);
    const first = await putCustomer(tenant.adminKey, "first", { email: "a@example.com", phone: "+44 20 7946 0958" });
    expect(first.body.mergedInto).toBeNull();
    expect((await call("GET", "/v1/customers/second", { key: tenant.adminKey })).body.mergedInto).toBe("first");
    expect(await foundIds(tenant.adminKey, { phone: "+442079460958" })).toEqual(["first"]);
  });

  it("keeps duplicates apart when the tenant switched merging off", async () => {
    const { tenant, clock } = await tenantWithClock({ mergeDuplicates: false });
    await putCustomer(tenant.adminKey, "one", { phone: "+442079460958" });
    clock.advance(1_000);
    expect((await putCustomer(tenant.adminKey, "two", { phone: "+44 (0)20 7946 0958" })).body.mergedInto).toBeNull();
    expect(await foundIds(tenant.adminKey, { phone: "+442079460958" })).toEqual(["one", "two"]);
    expectProblem(await call("POST", "/v1/customers/two/unmerge", { key: tenant.adminKey, idempotencyKey: unique("idem") }), 409, "conflict");
  });

  it("erases a customer and those merged into it: no lookup finds them, the ids stay as pseudonyms", async () => {
    const { tenant, clock } = await tenantWithClock();
    await putCustomer(tenant.adminKey, "jane", { email: "jane@example.com", name: "Jane Doe", loyaltyId: "LOY-1" });
    clock.advance(1_000);
    await putCustomer(tenant.adminKey, "jane-web", { email: "jane@example.com", phone: "+442079460958" });

    clock.advance(1_000);
    const erased = await call("DELETE", "/v1/customers/jane", { key: tenant.adminKey });
    expect(erased.status).toBe(200);
    const pseudonym = { id: "jane", email: null, phone: null, name: null, loyaltyId: null, createdAt: "2026-12-01T10:00:00.000Z", updatedAt: "2026-12-01T10:00:02.000Z", mergedInto: null, erased: true };
    expect(erased.body).toEqual(pseudonym);
    expect((await call("GET", "/v1/customers/jane-web", { key: tenant.adminKey })).body).toMatchObject({ email: null, phone: null, erased: true, mergedInto: "jane" });
    expect(await foundIds(tenant.adminKey, { email: "jane@example.com" })).toEqual([]);
    expect(await foundIds(tenant.adminKey, { phone: "+442079460958" })).toEqual([]);
    expect(await foundIds(tenant.adminKey, { loyaltyId: "LOY-1" })).toEqual([]);
    const stored = await runInDurableObject(customerDirectory(env, tenant.id), (_, state) => state.storage.sql.exec("SELECT id, email, phone, name, loyalty_id FROM customers ORDER BY id").toArray());
    expect(stored).toEqual([
      { id: "jane", email: null, phone: null, name: null, loyalty_id: null },
      { id: "jane-web", email: null, phone: null, name: null, loyalty_id: null },
    ]);

    clock.advance(1_000);
    expect((await call("DELETE", "/v1/customers/jane", { key: tenant.adminKey })).body).toEqual(pseudonym);
    expectProblem(await putCustomer(tenant.adminKey, "jane", { email: "jane@example.com" }), 409, "conflict");
    // Someone signing up later with the same address is a new customer, not merged into the pseudonym.
    expect((await putCustomer(tenant.adminKey, "jane-again", { email: "jane@example.com" })).body.mergedInto).toBeNull();

    const audit = await call("GET", "/v1/audit?route=/v1/customers/:id&limit=50", { key: tenant.adminKey });
    expect(audit.body.records.filter((record: { method: string }) => record.method === "DELETE").map((record: { objectId: string; outcome: string }) => [record.objectId, record.outcome])).toEqual([
      ["jane", "ok"],
      ["jane", "ok"],
    ]);
  });

  it("shows contact in full to admin and erp keys, masked to store, channel and readonly keys except in their own PUT's answer", async () => {
    const tenant = await createStockedTenant();
    const keys = {
      erp: await createKey(tenant, { role: "erp" }),
      store: await createKey(tenant, { role: "store", location: "store-a" }),
      channel: await createKey(tenant, { role: "channel", channel: "web" }),
      readonly: await createKey(tenant, { role: "readonly" }),
    };
    const signedUp = await putCustomer(keys.store, "cust-1", { email: "jane@example.com", phone: "+442079460958", name: "Jane Doe" });
    expect(signedUp.body).toMatchObject({ email: "jane@example.com", phone: "+442079460958" });
    expect((await putCustomer(keys.channel, "cust-2", { email: "joe@example.com" })).body.email).toBe("joe@example.com");

    for (const key of [tenant.adminKey, keys.erp]) {
      expect((await call("GET", "/v1/customers/cust-1", { key })).body).toMatchObject({ email: "jane@example.com", phone: "+442079460958", name: "Jane Doe" });
    }
    for (const key of [keys.store, keys.channel, keys.readonly]) {
      expect((await call("GET", "/v1/customers/cust-1", { key })).body).toMatchObject({ email: "j***@example.com", phone: "+44********58", name: "Jane Doe" });
      expect((await lookUp(key, { email: "jane@example.com" })).body.customers).toMatchObject([{ id: "cust-1", email: "j***@example.com", phone: "+44********58" }]);
    }

    expectProblem(await putCustomer(keys.readonly, "cust-3", { email: "x@example.com" }), 403, "forbidden");
    for (const key of [keys.store, keys.channel, keys.readonly]) {
      expectProblem(await call("DELETE", "/v1/customers/cust-1", { key }), 403, "forbidden");
      expectProblem(await call("POST", "/v1/customers/cust-1/unmerge", { key, idempotencyKey: unique("idem") }), 403, "forbidden");
    }
    for (const key of [keys.erp, keys.store, keys.readonly]) {
      expectProblem(await call("GET", "/v1/customers/settings", { key }), 403, "forbidden");
      expectProblem(await call("PUT", "/v1/customers/settings", { key, body: { mergeDuplicates: false } }), 403, "forbidden");
    }
    expect((await call("GET", "/v1/customers/cust-1", { key: tenant.adminKey })).body.erased).toBe(false);
  });
});

describe("the customer directory's loyalty settings", () => {
  it("holds the programme's settings and answers a customer with them in one call", async () => {
    const tenant = await createTenant();
    const directory = customerDirectory(env, tenant.id);
    expect(await directory.getLoyaltySettings()).toEqual(defaultLoyaltySettings);
    expect(await directory.loyaltyContext("cust-1")).toEqual({ customer: null, settings: defaultLoyaltySettings });

    const settings = { ...defaultLoyaltySettings, pointsPerUnit: 2, lifetimeDays: 30, excludedSkus: ["GIFT-CARD"] };
    expect(await directory.putLoyaltySettings(settings)).toEqual(settings);
    expect(await directory.getLoyaltySettings()).toEqual(settings);

    await putCustomer(tenant.adminKey, "cust-1", { email: "jane@example.com" });
    await call("DELETE", "/v1/customers/cust-1", { key: tenant.adminKey });
    const context = await directory.loyaltyContext("cust-1");
    expect(context.settings).toEqual(settings);
    expect(context.customer).toMatchObject({ id: "cust-1", email: null, erased: true });
  });
});
