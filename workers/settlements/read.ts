import { AppError } from "../../shared/errors.ts";
import { externalIdPattern } from "../../shared/schemas/common.ts";
import type { SettlementSource } from "../../shared/schemas/settlements.ts";
import type { ParsedSettlement } from "../../shared/settlement-postings.ts";
import { readAmazonSettlement } from "./amazon-v2.ts";
import { readShopifyPayout } from "./shopify-payments.ts";
import { readStripePayout } from "./stripe.ts";

/**
 * Reads a settlement body in its source's own shape, or throws 422
 * `settlement_invalid` with every problem found (`problems`: row, field,
 * reason): a payout is applied whole or not at all.
 *
 * @example
 * const settlement = readSettlement("amazon-v2", await c.req.text());
 */
export function readSettlement(source: SettlementSource, text: string): ParsedSettlement {
  let reading;
  if (source === "amazon-v2") reading = readAmazonSettlement(text);
  else {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AppError("malformed_json", "The body is not valid JSON");
    }
    reading = source === "shopify-payments" ? readShopifyPayout(body) : readStripePayout(body);
  }
  if (!reading.ok) {
    const first = reading.problems[0]!;
    const where = first.row === null ? "the payout" : `row ${first.row}`;
    throw new AppError("settlement_invalid", `${reading.problems.length} problem(s); first, ${where}${first.field ? ` (${first.field})` : ""}: ${first.reason}`, { problems: reading.problems.slice(0, 100) });
  }
  const { settlement } = reading;
  if (!externalIdPattern.test(`${source}:${settlement.externalId}`)) {
    throw new AppError("settlement_invalid", `The payout id ${settlement.externalId} is not one Shelfsync can keep`, { problems: [{ row: null, field: "id", reason: "letters, digits, '.', '_', ':' or '-', at most 100 characters with the source" }] });
  }
  return settlement;
}
