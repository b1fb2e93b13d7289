import type { Context } from "hono";
import type { AuthorizeNeeds, Principal } from "../durable/tenant-registry.ts";
import { AppError } from "../shared/errors.ts";
import { parseApiKey, sha256Hex } from "../shared/ids.ts";
import type { Channel, KeyRole, Location } from "../shared/schemas/tenancy.ts";
import type { AppEnv } from "./env.ts";
import { tenantRegistry } from "../durable/objects.ts";

export interface Access {
  principal: Principal;
  registry: ReturnType<typeof tenantRegistry>;
  location: Location | null;
  channel: Channel | null;
}

export interface AccessRule extends AuthorizeNeeds {
  roles: readonly KeyRole[];
}

function bearer(c: Context<AppEnv>): string {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new AppError("unauthorized", "Send an API key as 'Authorization: Bearer <key>'");
  return match[1]!;
}

/**
 * Authorizes a tenant key for one request, in one call to the tenant's
 * registry that also returns the location and channel the request names.
 * Keys bound to a channel or a location may only act on that one.
 *
 * @example
 * const { principal, channel } = await authorize(c, { roles: ["admin", "channel"], channel: body.channel });
 */
export async function authorize(c: Context<AppEnv>, rule: AccessRule): Promise<Access> {
  const key = bearer(c);
  const parsed = parseApiKey(key);
  if (!parsed) throw new AppError("unauthorized", "Unknown API key");
  const registry = tenantRegistry(c.env, parsed.tenantId);
  const found = await registry.authorize(await keyDigest(key), { location: rule.location, channel: rule.channel });
  if (!found.ok) throw new AppError("unauthorized", "Unknown API key");
  const { principal } = found;
  c.set("principal", principal);
  if (!rule.roles.includes(principal.role)) throw new AppError("forbidden", `A ${principal.role} key may not do this`);
  if (principal.role === "channel" && principal.channel !== (rule.channel ?? principal.channel)) {
    throw new AppError("forbidden", `This key is bound to channel ${principal.channel}`);
  }
  if (principal.role === "store" && principal.location !== (rule.location ?? principal.location)) {
    throw new AppError("forbidden", `This key is bound to location ${principal.location}`);
  }
  return { principal, registry, location: found.location, channel: found.channel };
}

const digests = new Map<string, string>();
const maxRememberedDigests = 1_000;

/**
 * The SHA-256 of an API key, remembered per isolate: a pure function of the
 * key, so this only saves hashing the same key on every request. It never
 * caches whether the key is valid; the registry decides that each time.
 */
async function keyDigest(key: string): Promise<string> {
  const known = digests.get(key);
  if (known) return known;
  const digest = await sha256Hex(key);
  if (digests.size >= maxRememberedDigests) digests.delete(digests.keys().next().value!);
  digests.set(key, digest);
  return digest;
}

/** Checks the platform operator's key (the PLATFORM_ADMIN_KEY secret) in constant time. */
export async function requirePlatformKey(c: Context<AppEnv>): Promise<void> {
  const expected = c.env.PLATFORM_ADMIN_KEY;
  if (!expected) throw new AppError("unauthorized", "This deployment has no PLATFORM_ADMIN_KEY secret");
  const given = bearer(c);
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  if (!crypto.subtle.timingSafeEqual(a, b)) throw new AppError("unauthorized", "Unknown platform key");
}

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
}
