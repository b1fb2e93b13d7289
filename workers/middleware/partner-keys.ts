import type { PartnerPrincipal } from "../../durable/partner-directory.ts";
import type { Principal } from "../../durable/tenant-registry.ts";
import { partnerDirectory, platformDirectory, tenantRegistry } from "../../durable/objects.ts";
import { systemClock, type Clock } from "../../shared/clock.ts";
import { AppError } from "../../shared/errors.ts";
import { parsePartnerKey, sha256Hex } from "../../shared/ids.ts";
import type { RateLimits } from "../../shared/schemas/limits.ts";
import { keyCheckTtlMs, type CheckedKey } from "./authenticate.ts";

const maxCached = 1_000;

interface CachedPartnerCheck {
  principal: PartnerPrincipal;
  validUntil: number | null;
  checkedAt: number;
}

/**
 * What one isolate remembers of partner keys, with the bounds of tenant keys
 * (decision 0017, 0030): a key check for at most `keyCheckTtlMs` (so a
 * revoked partner key is refused everywhere within 30 s, at once in the
 * isolate that revoked it; expiry exact), partners known to exist and each
 * tenant's partner for the isolate's life (neither is ever deleted or
 * changed), a tenant's rate limits for `keyCheckTtlMs`. Unknown, revoked and
 * expired keys, unknown partners and unknown tenants are never remembered.
 */
class PartnerKeyChecks {
  /** Tests replace it to move time on instead of waiting. */
  clock: Clock = systemClock;
  private readonly byDigest = new Map<string, CachedPartnerCheck>();
  private readonly partners = new Set<string>();
  private readonly owners = new Map<string, string | null>();
  private readonly limits = new Map<string, { limits: RateLimits; at: number }>();

  async check(env: Env, key: string, beforeLookUp: () => void): Promise<PartnerPrincipal> {
    const parsed = parsePartnerKey(key);
    if (!parsed) throw new AppError("unauthorized", "Unknown API key");
    return this.checkDigest(env, parsed.partnerId, await sha256Hex(key), beforeLookUp);
  }

  /** `check` for a key known by its partner and digest: what a console session keeps of the key it stands for. */
  async checkDigest(env: Env, partnerId: string, digest: string, beforeLookUp: () => void): Promise<PartnerPrincipal> {
    const now = this.clock.now();
    const cached = this.byDigest.get(digest);
    if (cached && now - cached.checkedAt < keyCheckTtlMs && (cached.validUntil === null || now < cached.validUntil)) return cached.principal;
    this.byDigest.delete(digest);
    beforeLookUp();
    if (!(await this.partnerExists(env, partnerId))) throw new AppError("unauthorized", "Unknown API key");
    const found = await partnerDirectory(env, partnerId).authenticate(digest);
    if (!found.ok) throw new AppError(found.code, found.detail);
    if (this.byDigest.size >= maxCached) this.byDigest.delete(this.byDigest.keys().next().value!);
    this.byDigest.set(digest, { principal: found.principal, validUntil: found.validUntil, checkedAt: now });
    return found.principal;
  }

  /**
   * The partner key acting on `tenantId` as the tenant's admin: the same
   * principal any admin key of the tenant has, so every route's role check
   * applies unchanged. A tenant that is not the partner's (another
   * partner's, the platform's, or none) is 404 not_found, as the API
   * answers anything a key may not see.
   */
  async actAs(env: Env, partner: PartnerPrincipal, tenantId: string): Promise<CheckedKey> {
    const owner = await this.ownerOf(env, tenantId);
    if (owner !== partner.partnerId) throw new AppError("not_found", `No tenant ${tenantId}`);
    const principal: Principal = {
      tenantId,
      keyId: partner.keyId,
      role: "admin",
      channel: null,
      location: null,
      // Its own idempotency scope in the tenant: the partner's key chain, never one of the tenant's keys.
      lineage: `partner:${partner.partnerId}:${partner.lineage}`,
    };
    return { principal, limits: await this.limitsOf(env, tenantId) };
  }

  /** Drops this isolate's check of a partner key that was just revoked or rotated here. */
  forget(keyId: string): void {
    for (const [digest, cached] of this.byDigest) if (cached.principal.keyId === keyId) this.byDigest.delete(digest);
  }

  /** Drops this isolate's copy of a tenant's rate limits, which just changed here. */
  forgetTenant(tenantId: string): void {
    this.limits.delete(tenantId);
  }

  /** Whether the partner exists, asked of the platform directory before any object is named after a partner that came from a request. */
  async partnerExists(env: Env, partnerId: string): Promise<boolean> {
    if (this.partners.has(partnerId)) return true;
    const exists = await platformDirectory(env).hasPartner(partnerId);
    if (exists) this.partners.add(partnerId);
    return exists;
  }

  /** The tenant's partner (null: the platform's own), undefined for a tenant that does not exist (not remembered). */
  private async ownerOf(env: Env, tenantId: string): Promise<string | null | undefined> {
    if (this.owners.has(tenantId)) return this.owners.get(tenantId);
    const owner = await platformDirectory(env).tenantOwner(tenantId);
    if (!owner.exists) return undefined;
    if (this.owners.size >= maxCached * 10) this.owners.delete(this.owners.keys().next().value!);
    this.owners.set(tenantId, owner.partner);
    return owner.partner;
  }

  private async limitsOf(env: Env, tenantId: string): Promise<RateLimits> {
    const now = this.clock.now();
    const cached = this.limits.get(tenantId);
    if (cached && now - cached.at < keyCheckTtlMs) return cached.limits;
    const limits = await tenantRegistry(env, tenantId).getRateLimits();
    if (this.limits.size >= maxCached) this.limits.delete(this.limits.keys().next().value!);
    this.limits.set(tenantId, { limits, at: now });
    return limits;
  }
}

/** The isolate's partner key checks (module state lives as long as the isolate). */
export const partnerKeyChecks = new PartnerKeyChecks();
