import { env, listDurableObjectIds, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { consoleSessions, tenantRegistry } from "../durable/objects.ts";
import { ManualClock, systemClock } from "../shared/clock.ts";
import { newKeySecret } from "../shared/ids.ts";
import { sessionIdleMs, sessionLifetimeMs } from "../shared/session-tokens.ts";
import { keyChecks, keyCheckTtlMs } from "../workers/middleware/authenticate.ts";
import { call, createKey, createTenant, unique, type ApiResponse, type TestTenant } from "./api.ts";
import { useClock } from "./clock.ts";
import { expectProblem, quietAccessLog } from "./fixtures.ts";
import { createPartner, partnerTenant } from "./partner-fixtures.ts";

quietAccessLog();

afterEach(() => {
  keyChecks.clock = systemClock;
});

interface SignedIn {
  cookie: string;
  csrf: string;
  setCookie: string;
  body: Record<string, any>;
}

async function signIn(key: string, origin = "https://edge.test"): Promise<SignedIn> {
  const response = await SELF.fetch(`${origin}/v1/sessions`, { method: "POST", headers: { authorization: `Bearer ${key}` } });
  const body = (await response.json()) as Record<string, any>;
  expect(response.status, JSON.stringify(body)).toBe(201);
  const setCookie = response.headers.get("set-cookie") ?? "";
  const cookie = /^(shelfsync_session=[^;]+)/.exec(setCookie)?.[1];
  expect(cookie).toBeDefined();
  return { cookie: cookie!, csrf: body.csrfToken, setCookie, body };
}

/** A call with the session's cookie instead of a key; `csrf` goes in X-Shelfsync-CSRF. */
function withCookie(session: Pick<SignedIn, "cookie">, method: string, path: string, options: { csrf?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { cookie: session.cookie, ...options.headers };
  if (options.csrf !== undefined) headers["x-shelfsync-csrf"] = options.csrf;
  if (method === "POST") headers["idempotency-key"] = unique("idem");
  return call(method, path, { headers, body: options.body });
}

async function locationExists(tenant: TestTenant, id: string): Promise<boolean> {
  const listed = await call("GET", "/v1/locations", { key: tenant.adminKey });
  return listed.body.locations.some((location: { id: string }) => location.id === id);
}

describe("console sign-in", () => {
  it("sets an HttpOnly, SameSite=Strict, Secure (over https) cookie on /v1, and answers who the session is with its CSRF token", async () => {
    const tenant = await createTenant();
    const session = await signIn(tenant.adminKey);
    const attributes = session.setCookie.split(";").map((part) => part.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(["httponly", "samesite=strict", "secure", "path=/v1", `max-age=${sessionLifetimeMs / 1000}`]));
    expect(session.body).toMatchObject({ kind: "tenant", tenant: tenant.id, partner: null, role: "admin", csrfToken: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(Date.parse(session.body.expiresAt) - Date.now()).toBeGreaterThan(sessionLifetimeMs - 60_000);
    // The session token is not the key, and the CSRF token is not the session token.
    expect(session.cookie).not.toContain(tenant.adminKey);
    expect(session.cookie).not.toContain(session.csrf);

    const current = await withCookie(session, "GET", "/v1/sessions/current");
    expect(current.status).toBe(200);
    expect(current.body).toMatchObject({ kind: "tenant", tenant: tenant.id, role: "admin", csrfToken: session.csrf });
  });

  it("leaves Secure off over plain http (the store network's edge), keeping HttpOnly and SameSite=Strict", async () => {
    const tenant = await createTenant();
    const session = await signIn(tenant.adminKey, "http://edge.test");
    const attributes = session.setCookie.split(";").map((part) => part.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(["httponly", "samesite=strict", "path=/v1"]));
    expect(attributes).not.toContain("secure");
  });

  it("is recorded in the tenant's audit trail as a sign-in", async () => {
    const tenant = await createTenant();
    await signIn(tenant.adminKey);
    const audit = await call("GET", "/v1/audit?kind=sign_in&route=/v1/sessions", { key: tenant.adminKey });
    expect(audit.status).toBe(200);
    expect(audit.body.records).toEqual([expect.objectContaining({ kind: "sign_in", method: "POST", route: "/v1/sessions", status: 201 })]);
  });

  it("takes a key, not a session or the platform key", async () => {
    const tenant = await createTenant();
    const session = await signIn(tenant.adminKey);
    expectProblem(await withCookie(session, "POST", "/v1/sessions", { csrf: session.csrf }), 401, "unauthorized");
    expectProblem(await call("POST", "/v1/sessions", { key: "test-platform-key-0123456789" }), 401, "unauthorized");
    expectProblem(await call("POST", "/v1/sessions", { key: `ssk_${tenant.id}_${newKeySecret()}` }), 401, "unauthorized");
  });
});

describe("the session cookie stands for its key", () => {
  it("reads as the key reads", async () => {
    const tenant = await createTenant();
    const session = await signIn(tenant.adminKey);
    const keys = await withCookie(session, "GET", "/v1/keys");
    expect(keys.status).toBe(200);
    expect(keys.body.keys.length).toBeGreaterThan(0);
  });

  it("writes only with the session's CSRF token: missing or wrong is 403 csrf_token_invalid and changes nothing", async () => {
    const tenant = await createTenant();
    const session = await signIn(tenant.adminKey);
    const put = (csrf?: string) => withCookie(session, "PUT", "/v1/locations/store-x", { csrf, body: { type: "store" } });

    expectProblem(await put(), 403, "csrf_token_invalid");
    expectProblem(await put("0".repeat(64)), 403, "csrf_token_invalid");
    const other = await signIn(tenant.adminKey);
    expectProblem(await put(other.csrf), 403, "csrf_token_invalid");
    expect(await locationExists(tenant, "store-x")).toBe(false);

    expect((await put(session.csrf)).status).toBe(200);
    expect(await locationExists(tenant, "store-x")).toBe(true);
    const created = await withCookie(session, "POST", "/v1/keys", { csrf: session.csrf, body: { role: "readonly" } });
    expect(created.status).toBe(201);
  });

  it("a readonly key's session reads but cannot write, CSRF token or not", async () => {
    const tenant = await createTenant();
    const readonly = await createKey(tenant, { role: "readonly" });
    const session = await signIn(readonly);
    expect(session.body.role).toBe("readonly");
    expect((await withCookie(session, "GET", "/v1/exceptions")).status).toBe(200);
    expectProblem(await withCookie(session, "PUT", "/v1/locations/store-y", { csrf: session.csrf, body: { type: "store" } }), 403, "forbidden");
    expectProblem(await withCookie(session, "POST", "/v1/keys", { csrf: session.csrf, body: { role: "admin" } }), 403, "forbidden");
    expect(await locationExists(tenant, "store-y")).toBe(false);
  });

  it("a key in Authorization wins over a cookie, and needs no CSRF token", async () => {
    const tenant = await createTenant();
    const readonly = await createKey(tenant, { role: "readonly" });
    const session = await signIn(readonly);
    const put = await call("PUT", "/v1/locations/store-z", { key: tenant.adminKey, headers: { cookie: session.cookie }, body: { type: "store" } });
    expect(put.status).toBe(200);
  });
});

describe("a session ends", () => {
  it("without a cookie or with a forged one: 401 unauthorized, and a made-up tenant's sessions object is never created", async () => {
    const tenant = await createTenant();
    expectProblem(await call("GET", "/v1/keys"), 401, "unauthorized");
    expectProblem(await withCookie({ cookie: `shelfsync_session=sct_${tenant.id}_${newKeySecret()}` }, "GET", "/v1/keys"), 401, "unauthorized");
    expectProblem(await withCookie({ cookie: "shelfsync_session=not-a-session" }, "GET", "/v1/keys"), 401, "unauthorized");
    const session = await signIn(tenant.adminKey);
    // The token of one tenant's session, moved to another tenant's name, is nobody's.
    const other = await createTenant();
    expectProblem(await withCookie({ cookie: session.cookie.replace(`_${tenant.id}_`, `_${other.id}_`) }, "GET", "/v1/keys"), 401, "unauthorized");

    const ghost = unique("ghost");
    expectProblem(await withCookie({ cookie: `shelfsync_session=sct_${ghost}_${newKeySecret()}` }, "GET", "/v1/keys"), 401, "unauthorized");
    const ghostId = env.CONSOLE_SESSIONS.idFromName(`tenant:${ghost}`).toString();
    expect((await listDurableObjectIds(env.CONSOLE_SESSIONS)).map((id) => id.toString())).not.toContain(ghostId);
  });

  it("8 hours after sign-in however busy, and after an hour without a request: 401 session_expired", async () => {
    const tenant = await createTenant();
    const clock = new ManualClock(Date.now());
    await useClock(consoleSessions(env, { kind: "tenant", id: tenant.id }), clock);
    const signedInAt = clock.now();
    const busy = await signIn(tenant.adminKey);
    const idle = await signIn(tenant.adminKey);
    expect(Date.parse(busy.body.expiresAt)).toBe(signedInAt + sessionLifetimeMs);
    expect(Date.parse(busy.body.idleExpiresAt)).toBe(signedInAt + sessionIdleMs);

    clock.advance(sessionIdleMs - 60_000);
    expect((await withCookie(busy, "GET", "/v1/tenant")).status).toBe(200);
    expect((await withCookie(idle, "GET", "/v1/tenant")).status).toBe(200);
    clock.advance(sessionIdleMs - 1);
    expect((await withCookie(busy, "GET", "/v1/tenant")).status).toBe(200);
    clock.advance(1);
    // An hour since its last request (at 59 minutes); the busy one was used a moment ago.
    expectProblem(await withCookie(idle, "GET", "/v1/tenant"), 401, "session_expired");

    while (clock.now() + 50 * 60_000 < signedInAt + sessionLifetimeMs) {
      clock.advance(50 * 60_000);
      expect((await withCookie(busy, "GET", "/v1/tenant")).status).toBe(200);
    }
    clock.advance(signedInAt + sessionLifetimeMs - clock.now());
    expectProblem(await withCookie(busy, "GET", "/v1/tenant"), 401, "session_expired");
    // An ended session is gone, not only refused.
    expectProblem(await withCookie(busy, "GET", "/v1/tenant"), 401, "unauthorized");
  });

  it("at sign-out: 204, the cookie cleared, and the token refused afterwards", async () => {
    const tenant = await createTenant();
    const session = await signIn(tenant.adminKey);
    expectProblem(await withCookie(session, "DELETE", "/v1/sessions/current"), 403, "csrf_token_invalid");
    const out = await SELF.fetch("https://edge.test/v1/sessions/current", { method: "DELETE", headers: { cookie: session.cookie, "x-shelfsync-csrf": session.csrf } });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^shelfsync_session=;.*Max-Age=0/i);
    expectProblem(await withCookie(session, "GET", "/v1/tenant"), 401, "unauthorized");
  });

  it("when its key is revoked: at once where it was revoked, within keyCheckTtlMs (30 s) elsewhere", async () => {
    const tenant = await createTenant();
    const readonly = await createKey(tenant, { role: "readonly" });
    const here = await signIn(readonly);
    const keyId = here.body.keyId as string;
    expect((await call("DELETE", `/v1/keys/${keyId}`, { key: tenant.adminKey })).status).toBe(200);
    expectProblem(await withCookie(here, "GET", "/v1/tenant"), 401, "key_revoked");

    const clock = new ManualClock(Date.now());
    keyChecks.clock = clock;
    await useClock(tenantRegistry(env, tenant.id), clock);
    const another = await createKey(tenant, { role: "readonly" });
    const elsewhere = await signIn(another);
    expect((await withCookie(elsewhere, "GET", "/v1/tenant")).status).toBe(200);
    // Revoked through another edge: this one's key cache was not told.
    expect((await tenantRegistry(env, tenant.id).revokeKey(elsewhere.body.keyId)).ok).toBe(true);
    clock.advance(keyCheckTtlMs - 1);
    expect((await withCookie(elsewhere, "GET", "/v1/tenant")).status).toBe(200);
    clock.advance(1);
    expectProblem(await withCookie(elsewhere, "GET", "/v1/tenant"), 401, "key_revoked");
  });
});

describe("a partner key's session", () => {
  it("lists the partner's tenants and acts on one with X-Shelfsync-Tenant, never on another partner's", async () => {
    const partner = await createPartner();
    const tenant = await partnerTenant(partner);
    const stranger = await partnerTenant(await createPartner());
    const session = await signIn(partner.key);
    expect(session.body).toMatchObject({ kind: "partner", partner: partner.id, tenant: null, role: null, keyId: partner.keyId });

    const tenants = await withCookie(session, "GET", "/v1/tenants");
    expect(tenants.status).toBe(200);
    expect(tenants.body.tenants.map((t: { id: string }) => t.id)).toEqual([tenant.id]);
    const acting = { headers: { "x-shelfsync-tenant": tenant.id } };
    expect((await withCookie(session, "GET", "/v1/exceptions", acting)).status).toBe(200);
    expect((await withCookie(session, "GET", "/v1/sessions/current", acting)).body).toMatchObject({ kind: "partner", tenant: tenant.id, role: "admin" });
    expectProblem(await withCookie(session, "PUT", "/v1/locations/s1", { ...acting, body: { type: "store" } }), 403, "csrf_token_invalid");
    expect((await withCookie(session, "PUT", "/v1/locations/s1", { ...acting, csrf: session.csrf, body: { type: "store" } })).status).toBe(200);
    expectProblem(await withCookie(session, "GET", "/v1/exceptions", { headers: { "x-shelfsync-tenant": stranger.id } }), 404, "not_found");
    expectProblem(await withCookie(session, "GET", "/v1/exceptions"), 403, "forbidden");
  });
});

describe("the console's files", () => {
  it("serves the page at /console and every path under it, with a CSP that allows nothing but this origin, and its assets", async () => {
    for (const path of ["/console", "/console/", "/console/exceptions/exc_1"]) {
      const page = await SELF.fetch(`https://edge.test${path}`);
      expect(page.status, path).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(await page.text()).toContain('src="/console/assets/console.js"');
    }
    const script = await SELF.fetch("https://edge.test/console/assets/console.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toContain("javascript");
    expect((await SELF.fetch("https://edge.test/console/assets/nothing.js")).status).toBe(404);
  });
});
