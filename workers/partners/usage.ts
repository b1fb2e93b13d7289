import { catalogStore, channelConnection, erpConnection, orderIndex, storeIngest, tenantRegistry } from "../../durable/objects.ts";
import type { TenantUsage } from "../../shared/schemas/partners.ts";
import { forEachLimited } from "../../shared/for-each-limited.ts";
import { monthRange } from "../../shared/usage-month.ts";

/** Objects asked at once while a report is put together. */
const concurrency = 6;

/**
 * One tenant's usage in `month`, read from the objects that counted it:
 * the registry (API calls, stores), each store's ingest (POS transactions),
 * the order index (orders), each connection (connector writes), the
 * catalog (SKUs). A report reads; nothing here is on a request's path.
 */
export async function tenantUsage(env: Env, tenantId: string, month: string): Promise<TenantUsage> {
  const { from, to } = monthRange(month);
  const registry = await tenantRegistry(env, tenantId).usageOf(month);
  const [orders, skus, posTransactions, channelWrites, erpWrites] = await Promise.all([
    orderIndex(env, tenantId).createdBetween(from, to),
    catalogStore(env, tenantId).itemCount(),
    sumLimited(registry.stores, (store) => storeIngest(env, tenantId, store).acceptedBetween(from, to)),
    sumLimited(registry.connections, (id) => channelConnection(env, tenantId, id).connectorWrites(month)),
    sumLimited(registry.erpConnections, (id) => erpConnection(env, tenantId, id).connectorWrites(month)),
  ]);
  return { tenant: tenantId, posTransactions, orders, apiCalls: registry.apiCalls, connectorWrites: channelWrites + erpWrites, stores: registry.stores.length, skus };
}

/** The usage of each tenant, in the order given, at most `concurrency` tenants at a time. */
export async function usageOfTenants(env: Env, tenantIds: readonly string[], month: string): Promise<TenantUsage[]> {
  const rows: TenantUsage[] = new Array(tenantIds.length);
  await forEachLimited(tenantIds.map((id, at) => [id, at] as const), concurrency, async ([id, at]) => {
    rows[at] = await tenantUsage(env, id, month);
  });
  return rows;
}

const csvColumns = ["tenant", "pos_transactions", "orders", "api_calls", "connector_writes", "stores", "skus"] as const;

/** The report as CSV (RFC 4180, CRLF), one row per tenant; tenant ids hold no comma or quote. */
export function usageCsv(rows: readonly TenantUsage[]): string {
  const lines = [csvColumns.join(","), ...rows.map((row) => [row.tenant, row.posTransactions, row.orders, row.apiCalls, row.connectorWrites, row.stores, row.skus].join(","))];
  return `${lines.join("\r\n")}\r\n`;
}

async function sumLimited(ids: readonly string[], count: (id: string) => Promise<number>): Promise<number> {
  let total = 0;
  await forEachLimited(ids, concurrency, async (id) => {
    // Read first, then add: `total += await …` would add to the total as it was before the wait.
    const counted = await count(id);
    total += counted;
  });
  return total;
}
