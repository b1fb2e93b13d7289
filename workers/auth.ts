import type { Context } from "hono";
import type { AuthorizeNeeds, Principal } from "../durable/tenant-registry.ts";
import { systemClock, type Clock } from "../shared/clock.ts";
import { AppError } from "../shared/errors.ts";
import type { Channel, KeyRole, Location } from "../shared/schemas/tenancy.ts";
import type { AppEnv } from "./env.ts";
import { platformDirectory, tenantRegistry } from "../durable/objects.ts";
import type { PartnerPrincipal } from "../durable/partner-directory.ts";
import { tenantHeader } from "../shared/schemas/partners.ts";

export interface Access {
  principal: Principal;
  registry: ReturnType<typeof tenantRegistry>;
  location: Location | null;
  channel: Channel | null;
}

export interface AccessRule extends AuthorizeNeeds {
  roles: readonly KeyRole[];
}

/**
 * How long an isolate uses a location or channel it looked up (a channel's
 * rules: pool, buffer, caps) without asking the tenant's registry again. A
 * change made through this isolate applies here at once; other isolates see
 * it within this bound (docs/decisions/0030-isolate-lookups.md). Together
 * with the key-check cache, a tenant's traffic no longer makes one call to
 * its registry per request.
 */
export const lookupTtlMs = 5_000;

const maxCachedLookups = 5_000;

type Kind = "location" | "channel";

/**
 * What one isolate remembers of locations and channels, per tenant, for at
 * most `lookupTtlMs`. Names the registry does not know are never
 * remembered: each such request asks again, so a new channel works at once.
 */
class TenantLookups {
  /** Tests replace it to move time on instead of waiting. */
  clock: Clock = systemClock;
  private readonly entries = new Map<string, { value: Location | Channel; at: number }>();

  async lookUp(registry: ReturnType<typeof tenantRegistry>, tenantId: string, needs: AuthorizeNeeds): Promise<{ location: Location | null; channel: Channel | null }> {
    const now = this.clock.now();
    const location = needs.location === undefined ? null : this.cached(tenantId, "location", needs.location, now);
    const channel = needs.channel === undefined ? null : this.cached(tenantId, "channel", needs.channel, now);
    const missing: AuthorizeNeeds = {
      location: needs.location !== undefined && !location ? needs.location : undefined,
      channel: needs.channel !== undefined && !channel ? needs.channel : undefined,
    };
    if (missing.location === undefined && missing.channel === undefined) return { location: location as Location | null, channel: channel as Channel | null };
    const found = await registry.lookUp(missing);
    if (found.location) this.remember(tenantId, "location", missing.location!, found.location, now);
    if (found.channel) this.remember(tenantId, "channel", missing.channel!, found.channel, now);
    return { location: (location as Location | null) ?? found.location, channel: (channel as Channel | null) ?? found.channel };
  }

  /** Drops what this isolate remembers of a location or channel that was just changed here. */
  forget(tenantId: string, kind: Kind, id: string): void {
    this.entries.delete(keyOf(tenantId, kind, id));
  }

  private cached(tenantId: string, kind: Kind, id: string, now: number): Location | Channel | null {
    const key = keyOf(tenantId, kind, id);
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (now - entry.at < lookupTtlMs) return entry.value;
    this.entries.delete(key);
    return null;
  }

  private remember(tenantId: string, kind: Kind, id: string, value: Location | Channel, now: number): void {
    if (this.entries.size >= maxCachedLookups) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(keyOf(tenantId, kind, id), { value, at: now });
  }
}

function keyOf(tenantId: string, kind: Kind, id: string): string {
  return `${tenantId}\u0000${kind}\u0000${id}`;
}

/** The isolate's location and channel lookups (module state lives as long as the isolate). */
export const tenantLookups = new TenantLookups();

/**
 * Authorizes the tenant key that `authenticate` (./middleware/authenticate.ts)
 * already checked for this request: its role, its binding (keys bound to a
 * channel or a location may only act on that one), and the location and
 * channel the request names: from this isolate's lookups, or in one call to
 * the tenant's registry for those it does not hold.
 *
 * @example
 * const { principal, channel } = await authorize(c, { roles: ["admin", "channel"], channel: body.channel });
 */
export async function authorize(c: Context<AppEnv>, rule: AccessRule): Promise<Access> {
  const principal = authorizeKey(c, rule);
  const registry = tenantRegistry(c.env, principal.tenantId);
  const needed = rule.location !== undefined || rule.channel !== undefined;
  const { location, channel } = needed ? await tenantLookups.lookUp(registry, principal.tenantId, { location: rule.location, channel: rule.channel }) : { location: null, channel: null };
  return { principal, registry, location, channel };
}

/** The key's part of `authorize`: its role and its binding, without asking the registry about the channel or location. */
export function authorizeKey(c: Context<AppEnv>, rule: AccessRule): Principal {
  const principal = c.get("principal");
  if (!principal && c.get("partner")) throw new AppError("forbidden", `A partner key acts on one of its tenants with the ${tenantHeader} header naming it`);
  if (!principal) throw new AppError("unauthorized", "This route takes a tenant's API key");
  if (!rule.roles.includes(principal.role)) throw new AppError("forbidden", `A ${principal.role} key may not do this`);
  if (principal.role === "channel" && principal.channel !== (rule.channel ?? principal.channel)) {
    throw new AppError("forbidden", `This key is bound to channel ${principal.channel}`);
  }
  if (principal.role === "store" && principal.location !== (rule.location ?? principal.location)) {
    throw new AppError("forbidden", `This key is bound to location ${principal.location}`);
  }
  return principal;
}

/** Requires the platform operator's key (the PLATFORM_ADMIN_KEY secret), which `authenticate` already compared. */
export function requirePlatformKey(c: Context<AppEnv>): void {
  if (!c.get("platform")) throw new AppError("unauthorized", "This route takes the platform key");
}

/** Who creates and lists tenants: the platform (every tenant), or a partner (its own). */
export type TenantOwner = { platform: true } | { platform: false; partner: PartnerPrincipal };

/** Requires the platform key or a partner key (acting on a tenant or not); a tenant key is 401 unauthorized, as the platform key is on tenant routes. */
export function requirePlatformOrPartner(c: Context<AppEnv>): TenantOwner {
  if (c.get("platform")) return { platform: true };
  const partner = c.get("partner");
  if (partner) return { platform: false, partner };
  // A tenant key is answered as the platform key is on tenant routes (0004, 0017): not a key this route takes.
  throw new AppError("unauthorized", "This route takes the platform key or a partner key");
}

/**
 * Authorizes a route of partner `partnerId`: the platform key (any partner
 * that exists), or that partner's own key. Another partner's key gets 404
 * not_found, as an unknown partner does (the API answers what a key may
 * not see as if it did not exist); a tenant key 401 unauthorized.
 */
export async function authorizePartner(c: Context<AppEnv>, partnerId: string): Promise<TenantOwner> {
  const owner = requirePlatformOrPartner(c);
  if (owner.platform) {
    if (!(await platformDirectory(c.env).hasPartner(partnerId))) throw new AppError("not_found", `No partner ${partnerId}`);
  } else if (owner.partner.partnerId !== partnerId) throw new AppError("not_found", `No partner ${partnerId}`);
  return owner;
}
