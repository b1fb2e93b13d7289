import { Sku } from "../../../shared/schemas/common.ts";
import type { Mapped } from "./order.ts";
import { issuesOf, ShopifyRefund, type JsonValue } from "./payload.ts";

export interface RefundUnits {
  sku: string;
  qty: number;
}

export interface ReturnedUnits extends RefundUnits {
  disposition: "restock" | "damaged";
}

/** What a Shopify refund asks of the canonical order. */
export interface ShopifyRefundPlan {
  refundId: string;
  externalOrderId: string;
  note: string | null;
  /** restock_type `cancel`: units refunded before they shipped, cancelled on the order. */
  cancel: RefundUnits[];
  /**
   * restock_type `return` (or the older `legacy_restock`): units that came
   * back and go on sale again; `no_restock`: units refunded that do not
   * come back into stock, written off.
   */
  returned: ReturnedUnits[];
}

const dispositions: Record<string, ReturnedUnits["disposition"] | "cancel"> = {
  return: "restock",
  legacy_restock: "restock",
  no_restock: "damaged",
  cancel: "cancel",
};

function add<T extends RefundUnits>(list: T[], units: T, same: (a: T) => boolean): void {
  const seen = list.find(same);
  if (seen) seen.qty += units.qty;
  else list.push(units);
}

/**
 * A refunds/create payload (refund_line_items[].line_item.sku, quantity,
 * restock_type) as cancellations and returns of the canonical order found
 * by (channel, order_id). A line without a usable SKU or with an unknown
 * restock_type does not map. A refund without lines (an amount or
 * shipping refund) maps to nothing to do.
 */
export function mapShopifyRefund(payload: JsonValue | null): Mapped<ShopifyRefundPlan> {
  const parsed = ShopifyRefund.safeParse(payload);
  if (!parsed.success) return { ok: false, reasons: issuesOf(parsed.error) };
  const refund = parsed.data;
  const plan: ShopifyRefundPlan = { refundId: refund.id, externalOrderId: refund.order_id, note: refund.note?.trim() || null, cancel: [], returned: [] };
  const reasons: string[] = [];
  refund.refund_line_items.forEach((item, i) => {
    const where = `refund_line_items[${i}]`;
    const sku = item.line_item.sku?.trim() ?? "";
    const disposition = dispositions[item.restock_type ?? "no_restock"];
    if (!sku || !Sku.safeParse(sku).success) reasons.push(`${where}.line_item has no usable SKU ("${sku}")`);
    else if (!disposition) reasons.push(`${where}.restock_type "${item.restock_type}" is unknown`);
    else if (item.quantity < 0) reasons.push(`${where}.quantity is negative`);
    else if (item.quantity === 0) return;
    else if (disposition === "cancel") add(plan.cancel, { sku, qty: item.quantity }, (units) => units.sku === sku);
    else add(plan.returned, { sku, qty: item.quantity, disposition }, (units) => units.sku === sku && units.disposition === disposition);
  });
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, value: plan };
}
