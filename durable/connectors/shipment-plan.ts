/** A recorded order's line (Walmart: its line number; Amazon: its order item id) and the units shipped of it so far. */
export interface RemoteLine {
  lineNumber: string;
  sku: string;
  qty: number;
  shipped: number;
}

/**
 * Each SKU's units of a fulfilment over the order's lines of that SKU that
 * still have units to ship, in line order; null if they do not fit.
 *
 * @example
 * allocate([{ lineNumber: "1", sku: "A", qty: 2, shipped: 1 }, { lineNumber: "2", sku: "A", qty: 3, shipped: 0 }], [{ sku: "A", qty: 2 }]);
 * // [{ lineNumber: "1", qty: 1 }, { lineNumber: "2", qty: 1 }]
 */
export function allocate(lines: RemoteLine[], shipped: { sku: string; qty: number }[]): { lineNumber: string; qty: number }[] | null {
  const left = new Map(lines.map((line) => [line.lineNumber, line.qty - line.shipped]));
  const plan = new Map<string, number>();
  for (const { sku, qty } of shipped) {
    let remaining = qty;
    for (const line of lines.filter((l) => l.sku === sku)) {
      const take = Math.min(remaining, left.get(line.lineNumber)!);
      if (take <= 0) continue;
      left.set(line.lineNumber, left.get(line.lineNumber)! - take);
      plan.set(line.lineNumber, (plan.get(line.lineNumber) ?? 0) + take);
      remaining -= take;
    }
    if (remaining > 0) return null;
  }
  return [...plan].map(([lineNumber, qty]) => ({ lineNumber, qty }));
}

/** The lines after `plan`'s units shipped. */
export function afterShipping(lines: RemoteLine[], plan: { lineNumber: string; qty: number }[]): RemoteLine[] {
  return lines.map((line) => ({ ...line, shipped: line.shipped + (plan.find((p) => p.lineNumber === line.lineNumber)?.qty ?? 0) }));
}
