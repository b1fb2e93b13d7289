import { edgeCall } from "../scripts/edge-client.ts";
import type { BulkAvailability } from "../shared/schemas/availability.ts";
import type { ConnectionStatus } from "../shared/schemas/connections.ts";
import { location, waitFor, type EdgeHost, type SeededStore } from "./harness.ts";

/*
 * What the end-to-end tests of every remote's connection share: the
 * connection's status, the web channel's figures, and the wait until the
 * remote holds them.
 */

export function connectionStatus(edge: EdgeHost, store: SeededStore, connectionId: string): Promise<ConnectionStatus> {
  return edgeCall<ConnectionStatus>(edge.url, "GET", `/v1/connections/${connectionId}/status`, { key: store.adminKey });
}

/** onHand of `sku` at store-001, the web channel's one location: with no buffer or cap, its availability. */
export function setStock(edge: EdgeHost, store: SeededStore, sku: string, onHand: number) {
  return edgeCall(edge.url, "PUT", `/v1/inventory/${sku}/locations/${location}`, { key: store.adminKey, body: { onHand } });
}

export const skusOf = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(4, "0")}`);

/** The web channel's availability of `skus`, 500 a call. */
export async function webAvailability(edge: EdgeHost, store: SeededStore, skus: string[]): Promise<Map<string, number>> {
  const figures = new Map<string, number>();
  for (let i = 0; i < skus.length; i += 500) {
    const page = await edgeCall<BulkAvailability>(edge.url, "GET", `/v1/availability?channel=web&skus=${skus.slice(i, i + 500).join(",")}`, { key: store.adminKey });
    for (const row of page.items) figures.set(row.sku, row.available);
  }
  return figures;
}

/**
 * Waits until the web channel's availability of every SKU is `expected`, the
 * remote holds the same (`remoteQuantity`), and the connection has nothing pending.
 */
export async function converged(
  edge: EdgeHost,
  store: SeededStore,
  connectionId: string,
  expected: Record<string, number>,
  remoteQuantity: (sku: string) => number,
  timeoutMs = 60_000,
): Promise<void> {
  const skus = Object.keys(expected);
  await waitFor(`the remote to hold the web channel's availability of ${skus.length} SKUs`, timeoutMs, async () => {
    const channel = await webAvailability(edge, store, skus);
    const off = skus.filter((sku) => channel.get(sku) !== expected[sku] || remoteQuantity(sku) !== expected[sku]);
    // Thrown, not returned: a timeout then says which SKUs were still off, and how.
    if (off.length > 0) throw new Error(`${off.length} SKUs off, e.g. ${off.slice(0, 5).map((sku) => `${sku}: want ${expected[sku]}, channel ${channel.get(sku)}, remote ${remoteQuantity(sku)}`).join("; ")}`);
    const pending = (await connectionStatus(edge, store, connectionId)).pending.skus;
    if (pending > 0) throw new Error(`${pending} SKUs still pending at the connection`);
    return true;
  });
}
