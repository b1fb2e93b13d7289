import { channelConnection, erpConnection } from "../durable/objects.ts";
import { forEachLimited } from "../shared/for-each-limited.ts";
import type { ConnectionStatus } from "../shared/schemas/connections.ts";
import type { ErpConnectionStatus } from "../shared/schemas/erp-connections.ts";

/** Connection objects one request asks at once for one tenant: a tenant with 40 connections is read in about 7 round trips, not 40 at once. */
export const statusConcurrency = 6;

/**
 * `read` of each item, at most `statusConcurrency` at a time, in the order
 * given; an item whose read answers null (its object no longer holds a
 * connection) is left out.
 *
 * @example
 * const statuses = await readLimited(ids, (id) => channelConnection(env, tenantId, id).status());
 */
export async function readLimited<T, R>(items: readonly T[], read: (item: T) => Promise<R | null>): Promise<R[]> {
  const found: (R | null)[] = new Array(items.length).fill(null);
  await forEachLimited(
    items.map((item, at) => [item, at] as const),
    statusConcurrency,
    async ([item, at]) => {
      found[at] = await read(item);
    },
  );
  return found.filter((value): value is R => value !== null);
}

/** The status of each channel connection of the tenant named, read from its object. */
export function channelStatuses(env: Env, tenantId: string, ids: readonly string[]): Promise<ConnectionStatus[]> {
  return readLimited(ids, (id) => channelConnection(env, tenantId, id).status());
}

/** The status of each ERP connection of the tenant named, read from its object. */
export function erpStatuses(env: Env, tenantId: string, ids: readonly string[]): Promise<ErpConnectionStatus[]> {
  return readLimited(ids, (id) => erpConnection(env, tenantId, id).status());
}
