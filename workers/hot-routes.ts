import type { Channel } from "../shared/schemas/tenancy.ts";

/**
 * How long an isolate trusts what the registry said about a hot SKU's
 * channel. A flash sale's pool reservations then skip the tenant's registry
 * (one object per tenant, which would cap the sale at one object's rate);
 * channel rules changed meanwhile reach them this much later.
 */
export const hotRouteTtlMs = 1_000;
const maxRoutes = 1_000;

interface HotRoute {
  rules: Channel;
  shards: number;
  until: number;
}

const routes = new Map<string, HotRoute>();

const keyOf = (tenantId: string, sku: string, channel: string) => `${tenantId}\n${sku}\n${channel}`;

/**
 * The shards and channel rules of a SKU hot for a channel, as the registry
 * said within the last second, or null. A stale answer is safe: a shard of a
 * sale that has cooled answers not_hot and the SKU object serves the request.
 *
 * @example
 * const route = hotRoute(tenantId, sku, "web", Date.now()); // { rules, shards: 4, until } or null
 */
export function hotRoute(tenantId: string, sku: string, channel: string, now: number): HotRoute | null {
  const key = keyOf(tenantId, sku, channel);
  const route = routes.get(key);
  if (!route) return null;
  if (route.until > now) return route;
  routes.delete(key);
  return null;
}

export function rememberHotRoute(tenantId: string, sku: string, rules: Channel, shards: number, now: number): void {
  if (routes.size >= maxRoutes) routes.delete(routes.keys().next().value!);
  routes.set(keyOf(tenantId, sku, rules.id), { rules, shards, until: now + hotRouteTtlMs });
}

/** The sale cooled: ask the registry again next time. */
export function forgetHotRoute(tenantId: string, sku: string, channel: string): void {
  routes.delete(keyOf(tenantId, sku, channel));
}
