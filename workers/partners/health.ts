import { exceptionQueue, storeHealthBoard, tenantRegistry } from "../../durable/objects.ts";
import { forEachLimited } from "../../shared/for-each-limited.ts";
import type { ConnectionStatus } from "../../shared/schemas/connections.ts";
import type { ErpConnectionStatus } from "../../shared/schemas/erp-connections.ts";
import type { StoreHealth } from "../../shared/schemas/store-health.ts";
import type { Tenant } from "../../shared/schemas/tenancy.ts";
import { tenantHealthTimeoutMs, type TenantHealth, type TenantHealthRow, type TenantHealthUnavailable } from "../../shared/schemas/tenant-health.ts";
import { channelStatuses, erpStatuses } from "../connection-statuses.ts";
import { logLine } from "../log.ts";

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
    status: "ok",
    stores: storesHealth(sources.stores, board.stores),
    exceptions: { open: openByType.reduce((sum, entry) => sum + entry.open, 0), byType: openByType },
    connections: connectionsHealth(channel, erp),
  };
}

/** Whom a page is read for, and how long each tenant may take (tests pass a shorter bound). */
export interface HealthReadOptions {
  requestId?: string;
  traceId?: string;
  timeoutMs?: number;
}

/**
 * The health of each tenant, in the order given, at most `tenantConcurrency`
 * tenants at a time. Each tenant is read on its own: one whose objects fail,
 * or take longer than the bound, is a row saying so (and a log line), and the
 * others keep their figures. A timed-out read is not cancelled (an object call
 * cannot be): it finishes unseen, beside the next tenant's.
 */
export async function healthOfTenants(env: Env, tenants: readonly Pick<Tenant, "id" | "name">[], options: HealthReadOptions = {}): Promise<TenantHealthRow[]> {
  const rows: TenantHealthRow[] = new Array(tenants.length);
  await forEachLimited(
    tenants.map((tenant, at) => [tenant, at] as const),
    tenantConcurrency,
    async ([tenant, at]) => {
      rows[at] = await healthOrWhyNot(env, tenant, options);
    },
  );
  return rows;
}

async function healthOrWhyNot(env: Env, tenant: Pick<Tenant, "id" | "name">, { requestId, traceId, timeoutMs = tenantHealthTimeoutMs }: HealthReadOptions): Promise<TenantHealthRow> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
  let unavailable: TenantHealthUnavailable["unavailable"];
  try {
    const health = await Promise.race([tenantHealth(env, tenant), timedOut]);
    if (health !== "timeout") return health;
    unavailable = { code: "timeout", detail: `The tenant's objects did not answer within ${timeoutMs / 1000} s.` };
    logLine({ level: "warn", message: "tenant health not read in time", requestId, traceId, tenantId: tenant.id, timeoutMs });
  } catch (error) {
    unavailable = { code: "read_failed", detail: `Reading the tenant's objects failed; the edge logged why${requestId ? ` (request ${requestId})` : ""}.` };
    logLine({ level: "error", message: "tenant health read failed", requestId, traceId, tenantId: tenant.id, error: String(error).slice(0, 300) });
  } finally {
    clearTimeout(timer);
  }
  return { tenant: tenant.id, name: tenant.name, status: "unavailable", unavailable };
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
