import { exceptionQueue, storeHealthBoard, tenantRegistry } from "../../durable/objects.ts";
import { forEachLimited } from "../../shared/for-each-limited.ts";
import type { ConnectionStatus } from "../../shared/schemas/connections.ts";
import type { ErpConnectionStatus } from "../../shared/schemas/erp-connections.ts";
import type { StoreHealth } from "../../shared/schemas/store-health.ts";
import type { Tenant } from "../../shared/schemas/tenancy.ts";
import type { TenantHealth } from "../../shared/schemas/tenant-health.ts";
import { channelStatuses, erpStatuses } from "../connection-statuses.ts";

/** Tenants read at once. With the connections of each read six at a time, one page has at most 4 × (3 + 6) object calls in flight. */
const tenantConcurrency = 4;

const failingStates = new Set<ConnectionStatus["state"]>(["failing", "credentials_rejected"]);

/**
 * One tenant's health, read from the objects that hold it: the registry
 * (which locations are stores, which connections exist), the store health
 * board, the exception queue (open ones by type, one grouped read), and each
 * connection's own object. 3 calls plus one per connection.
 */
export async function tenantHealth(env: Env, tenant: Pick<Tenant, "id" | "name">): Promise<TenantHealth> {
  const [sources, board, openByType] = await Promise.all([tenantRegistry(env, tenant.id).healthSources(), storeHealthBoard(env, tenant.id).list(), exceptionQueue(env, tenant.id).openCounts()]);
  const [channel, erp] = await Promise.all([channelStatuses(env, tenant.id, sources.connections), erpStatuses(env, tenant.id, sources.erpConnections)]);
  return {
    tenant: tenant.id,
    name: tenant.name,
    stores: storesHealth(sources.stores, board.stores),
    exceptions: { open: openByType.reduce((sum, entry) => sum + entry.open, 0), byType: openByType },
    connections: connectionsHealth(channel, erp),
  };
}

/** The health of each tenant, in the order given, at most `tenantConcurrency` tenants at a time. */
export async function healthOfTenants(env: Env, tenants: readonly Pick<Tenant, "id" | "name">[]): Promise<TenantHealth[]> {
  const rows: TenantHealth[] = new Array(tenants.length);
  await forEachLimited(
    tenants.map((tenant, at) => [tenant, at] as const),
    tenantConcurrency,
    async ([tenant, at]) => {
      rows[at] = await tenantHealth(env, tenant);
    },
  );
  return rows;
}

/** Counts over the tenant's store locations; a store the board never heard from is unknown (as GET /v1/stores says). */
function storesHealth(stores: readonly string[], reported: readonly StoreHealth[]): TenantHealth["stores"] {
  const byLocation = new Map(reported.map((health) => [health.location, health]));
  const health = { total: stores.length, online: 0, offline: 0, unknown: 0, backlog: 0, oldestPendingAgeSeconds: null as number | null, deadLetters: 0 };
  for (const location of stores) {
    const store = byLocation.get(location);
    health[store?.status ?? "unknown"] += 1;
    health.backlog += store?.backlog ?? 0;
    health.deadLetters += store?.deadLetters ?? 0;
    health.oldestPendingAgeSeconds = maxOf(health.oldestPendingAgeSeconds, store?.oldestPendingAgeSeconds ?? null);
  }
  return health;
}

function connectionsHealth(channel: readonly ConnectionStatus[], erp: readonly ErpConnectionStatus[]): TenantHealth["connections"] {
  const all = [...channel, ...erp];
  return {
    total: all.length,
    failing: all.filter((status) => failingStates.has(status.state)).length,
    throttled: all.filter((status) => status.state === "throttled").length,
    maxSyncLagMs: channel.reduce<number | null>((most, status) => maxOf(most, status.syncLagMs.p99), null),
    oldestPendingAgeSeconds: [
      ...channel.map((status) => status.pending.oldestAgeSeconds),
      ...erp.flatMap((status) => [status.pending.oldestAgeSeconds, status.salesDocuments.oldestAgeSeconds]),
    ].reduce<number | null>(maxOf, null),
  };
}

function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}
