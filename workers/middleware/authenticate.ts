import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Principal } from "../../durable/tenant-registry.ts";
import type { RateLimits } from "../../shared/schemas/limits.ts";
import { platformDirectory, tenantRegistry } from "../../durable/objects.ts";
import { systemClock, type Clock } from "../../shared/clock.ts";
import { AppError } from "../../shared/errors.ts";
import { parseApiKey, parsePartnerKey, sha256Hex } from "../../shared/ids.ts";
import { tenantHeader } from "../../shared/schemas/partners.ts";
import type { PartnerPrincipal } from "../../durable/partner-directory.ts";
import { usageMeter } from "../usage-meter.ts";
import { checkSession, requireCsrfToken, sessionTokenOf } from "./console-session.ts";
import { partnerKeyChecks } from "./partner-keys.ts";
import type { AppEnv } from "../env.ts";
import { rateLimiter } from "./rate-limit.ts";

/**
 * How long an isolate trusts a key check without asking the tenant's
 * registry again: the bound on how long a revoked key keeps working
 * anywhere (docs/decisions/0017-key-lifecycle-and-scoped-idempotency.md).
 * Expiry and the end of a rotation's overlap are exact: the cached answer
 * carries them.
 */
export const keyCheckTtlMs = 30_000;

const maxCachedKeys = 1_000;

/** An authenticated key, and its tenant's rate limits as of the check. */
export interface CheckedKey {
  principal: Principal;
  limits: RateLimits;
}

interface CachedCheck extends CheckedKey {
  /** The key's own end (expiry or end of rotation overlap), ms; null: none. */
  validUntil: number | null;
  checkedAt: number;
}

/**
 * What one isolate remembers of key checks: each key's answer for at most
 * `keyCheckTtlMs`, and the tenants known to exist (tenants are never
 * deleted, so that is kept). Unknown, revoked and expired keys are never
 * remembered: each such request asks again, so a new key works at once.
 */
class KeyChecks {
  /** Tests replace it to move time on instead of waiting. */
  clock: Clock = systemClock;
  private readonly byDigest = new Map<string, CachedCheck>();
  private readonly tenants = new Set<string>();

  /** `beforeLookUp` runs when the answer is not cached, before any object is asked (the address limit refuses there). */
  async check(env: Env, key: string, beforeLookUp: () => void = () => undefined): Promise<CheckedKey> {
    const parsed = parseApiKey(key);
    if (!parsed) throw new AppError("unauthorized", "Unknown API key");
    return this.checkDigest(env, parsed.tenantId, await sha256Hex(key), beforeLookUp);
  }

  /** `check` for a key known by its tenant and digest: what a console session keeps of the key it stands for. */
  async checkDigest(env: Env, tenantId: string, digest: string, beforeLookUp: () => void = () => undefined): Promise<CheckedKey> {
    const now = this.clock.now();
    const cached = this.byDigest.get(digest);
    // A cached answer past its key's own end is not trusted: the registry says why (expired, rotated, revoked).
    if (cached && now - cached.checkedAt < keyCheckTtlMs && (cached.validUntil === null || now < cached.validUntil)) return cached;
    this.byDigest.delete(digest);
    beforeLookUp();
    if (!(await this.tenantExists(env, tenantId))) throw new AppError("unauthorized", "Unknown API key");
    const found = await tenantRegistry(env, tenantId).authenticate(digest);
    if (!found.ok) throw new AppError(found.code, found.detail);
    if (this.byDigest.size >= maxCachedKeys) this.byDigest.delete(this.byDigest.keys().next().value!);
    const checked: CachedCheck = { principal: found.principal, limits: found.limits, validUntil: found.validUntil, checkedAt: now };
    this.byDigest.set(digest, checked);
    return checked;
  }

  /**
   * Whether the tenant exists, asked of the platform directory (one object
   * that always exists) before any object is named after a tenant that came
   * from a request.
   */
  async tenantExists(env: Env, tenantId: string): Promise<boolean> {
    if (this.tenants.has(tenantId)) return true;
    const exists = await platformDirectory(env).hasTenant(tenantId);
    if (exists) this.tenants.add(tenantId);
    return exists;
  }

  /** Whether this isolate already knows the tenant exists (no object call). */
  knownTenant(tenantId: string): boolean {
    return this.tenants.has(tenantId);
  }

  /** Drops this isolate's checks of a tenant's keys, whose rate limits just changed here; other isolates see the change within the TTL. */
  forgetTenant(tenantId: string): void {
    for (const [digest, cached] of this.byDigest) if (cached.principal.tenantId === tenantId) this.byDigest.delete(digest);
  }

  /** Drops what this isolate remembers of a key that was just revoked or rotated here; other isolates drop it within the TTL. */
  forget(keyId: string): void {
    for (const [digest, cached] of this.byDigest) if (cached.principal.keyId === keyId) this.byDigest.delete(digest);
  }
}

/** The isolate's key checks (module state lives as long as the isolate). */
export const keyChecks = new KeyChecks();

/** The key in `Authorization: Bearer <key>`; 401 without one. */
export function bearer(c: Context<AppEnv>): string {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new AppError("unauthorized", "Send an API key as 'Authorization: Bearer <key>'");
  return match[1]!;
}

/**
 * Checks the bearer key before anything reads the body: a route's
 * validators run after this, so a bad key with a malformed body is 401, not
 * 400. A tenant key sets `principal` and is rate limited (per key, per
 * tenant); the platform operator's key sets `platform`; a partner key sets
 * `partner`, and with an `X-Shelfsync-Tenant` header naming one of the
 * partner's tenants also `principal`, as that tenant's admin (its tenant's
 * rate limits apply), so every tenant route works for it with its role
 * checks unchanged (docs/decisions/0034-partners.md). Without an
 * Authorization header, a console session cookie stands for the key it was
 * made from, checked as that key (0035); a write made with it needs the
 * session's CSRF token (403 `csrf_token_invalid`). A refused key is
 * charged to its source address, and an address that has spent its budget
 * is refused (429) before a key the isolate has not cached costs an object
 * call (a cached good key from that address still works). Every route with
 * bearer security gets this from `routesOf` (workers/openapi.ts).
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  let checked: CheckedKey | null = null;
  let partner: PartnerPrincipal | null = null;
  try {
    const sessionToken = c.req.header("authorization") === undefined ? sessionTokenOf(c) : undefined;
    if (sessionToken !== undefined) {
      const beforeLookUp = () => rateLimiter.refuseSpentAddress(c);
      const session = await checkSession(c, sessionToken, beforeLookUp);
      c.set("session", session);
      await requireCsrfToken(c, session);
      // The session stands for its key: the key is checked as if it had been sent, so its role, its expiry and its revocation apply.
      if (session.owner.kind === "tenant") checked = await keyChecks.checkDigest(c.env, session.owner.id, session.keyHash, beforeLookUp);
      else partner = await partnerKeyChecks.checkDigest(c.env, session.owner.id, session.keyHash, beforeLookUp);
    } else {
      const key = bearer(c);
      const parsed = parseApiKey(key);
      if (parsed) {
        // Read by the audit trail when the check fails: a refused key of a tenant that exists is a failed sign-in.
        c.set("keyTenant", parsed.tenantId);
        checked = await keyChecks.check(c.env, key, () => rateLimiter.refuseSpentAddress(c));
      } else if (parsePartnerKey(key)) partner = await partnerKeyChecks.check(c.env, key, () => rateLimiter.refuseSpentAddress(c));
      else if (await isPlatformKey(c.env, key)) c.set("platform", true);
      else throw new AppError("unauthorized", "Unknown API key");
    }
  } catch (error) {
    if (error instanceof AppError && error.status === 401) rateLimiter.chargeAddress(c);
    throw error;
  }
  const actingOn = c.req.header(tenantHeader);
  if (partner) {
    c.set("partner", partner);
    if (actingOn !== undefined) checked = await partnerKeyChecks.actAs(c.env, partner, actingOn);
  } else if (checked && actingOn !== undefined && actingOn !== checked.principal.tenantId) {
    // A tenant key only ever reaches its own tenant; naming another is answered like any tenant it may not see.
    throw new AppError("not_found", `No tenant ${actingOn}`);
  }
  if (checked) {
    c.set("principal", checked.principal);
    await rateLimiter.admitKey(c, checked.principal, checked.limits);
    usageMeter.countApiCall(c, checked.principal.tenantId);
  }
  await next();
});

/** Compares with the PLATFORM_ADMIN_KEY secret in constant time. */
async function isPlatformKey(env: Env, given: string): Promise<boolean> {
  const expected = env.PLATFORM_ADMIN_KEY;
  if (!expected) return false;
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}
