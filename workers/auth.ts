import type { Context } from "hono";
import type { AuthorizeNeeds, Principal } from "../durable/tenant-registry.ts";
import { AppError } from "../shared/errors.ts";
import type { Channel, KeyRole, Location } from "../shared/schemas/tenancy.ts";
import type { AppEnv } from "./env.ts";
import { tenantRegistry } from "../durable/objects.ts";

export interface Access {
  principal: Principal;
  registry: ReturnType<typeof tenantRegistry>;
  location: Location | null;
  channel: Channel | null;
  /** With `hotSku` in the rule: how many allotment shards serve that SKU's pool reservations on the channel (null: not hot). */
  hotShards: number | null;
}

export interface AccessRule extends AuthorizeNeeds {
  roles: readonly KeyRole[];
}

/**
 * Authorizes the tenant key that `authenticate` (./middleware/authenticate.ts)
 * already checked for this request: its role, its binding (keys bound to a
 * channel or a location may only act on that one), and, in one call to the
 * tenant's registry, the location and channel the request names.
 *
 * @example
 * const { principal, channel } = await authorize(c, { roles: ["admin", "channel"], channel: body.channel });
 */
export async function authorize(c: Context<AppEnv>, rule: AccessRule): Promise<Access> {
  const principal = authorizeKey(c, rule);
  const registry = tenantRegistry(c.env, principal.tenantId);
  const needed = rule.location !== undefined || rule.channel !== undefined;
  const { location, channel, hotShards } = needed ? await registry.lookUp({ location: rule.location, channel: rule.channel, hotSku: rule.hotSku }) : { location: null, channel: null, hotShards: null };
  return { principal, registry, location, channel, hotShards };
}

/** The key's part of `authorize`: its role and its binding, without asking the registry about the channel or location. */
export function authorizeKey(c: Context<AppEnv>, rule: AccessRule): Principal {
  const principal = c.get("principal");
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
