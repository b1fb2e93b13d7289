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

/** The object that serializes one store's POS transactions into inventory. */
export function storeIngest(env: Env, tenantId: string, location: string) {
  return env.STORE_INGEST.getByName(`${tenantId}/${location}`);
}

/** The catalog (items, barcodes, prices, promotions) of one tenant, and its feed. */
export function catalogStore(env: Env, tenantId: string) {
  return env.CATALOG_STORE.getByName(tenantId);
}

/** The exceptions of one tenant: what a person should look at. */
export function exceptionQueue(env: Env, tenantId: string) {
  return env.EXCEPTION_QUEUE.getByName(tenantId);
}

/** The Shopify connection of one tenant: its webhook secret, channel and handled webhook ids. */
export function shopifyIntegration(env: Env, tenantId: string) {
  return env.SHOPIFY_INTEGRATION.getByName(tenantId);
}

/** The returns (RMAs) of one tenant, and per order the units already returned. */
export function tenantReturns(env: Env, tenantId: string) {
  return env.TENANT_RETURNS.getByName(tenantId);
}

/** The Durable Object of one order: its state machine, its saga log and its reservations. */
export function orderProcess(env: Env, tenantId: string, orderId: string) {
  return env.ORDER_PROCESS.getByName(`${tenantId}/${orderId}`);
}

/** The list of one tenant's orders (by status and channel) and its order settings. */
export function orderIndex(env: Env, tenantId: string) {
  return env.ORDER_INDEX.getByName(tenantId);
}

/** The tenant's event webhook (URL, signing secret) and the failures of events still being retried. */
export function eventWebhook(env: Env, tenantId: string) {
  return env.EVENT_WEBHOOK.getByName(tenantId);
}
