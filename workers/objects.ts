/** The Durable Object that owns one tenant's SKU. */
export function skuObject(env: Env, tenantId: string, sku: string) {
  return env.SKU_INVENTORY.getByName(`${tenantId}/${sku}`);
}

/** The availability read model of one tenant. */
export function availabilityIndex(env: Env, tenantId: string) {
  return env.AVAILABILITY_INDEX.getByName(tenantId);
}

/** The registry (keys, locations, channels) of one tenant. */
export function tenantRegistry(env: Env, tenantId: string) {
  return env.TENANT_REGISTRY.getByName(tenantId);
}

/** The platform operator's directory of tenants (a single object). */
export function platformDirectory(env: Env) {
  return env.PLATFORM_DIRECTORY.getByName("platform");
}
