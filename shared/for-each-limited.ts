/**
 * Runs `run` over the items with at most `limit` running at a time, each
 * item once; rejects with the first failure (the other runs still finish
 * the item they are on).
 *
 * @example
 * await forEachLimited(skus, 32, (sku) => skuObject(env, tenantId, sku).getInventory());
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
