import { z } from "@hono/zod-openapi";
import { errorCodes } from "../errors.ts";

const identifierPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A SKU, location or channel id: safe in object names, URLs, ledger references and CSV without escaping. */
function identifier(example: string) {
  return z.string().regex(identifierPattern, "1-64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit").openapi({ example });
}

export const Sku = identifier("TSHIRT-RED-M");
export const LocationId = identifier("store-001");
export const ChannelId = identifier("web");

export const TenantId = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, "1-40 lowercase letters, digits or '-', not starting or ending with '-'")
  .openapi({ example: "acme-retail" });

/** Money is always an integer number of minor units (cents) in the transaction's currency. */
export const MinorUnits = z.number().int().min(0).max(1_000_000_000_00);

/** What one line of a sale or an order costs, in minor units: the same fields at the till and on a channel. */
export const LineAmounts = {
  unitPrice: MinorUnits,
  discount: MinorUnits.default(0),
  tax: MinorUnits.default(0),
};

/** Units of stock: whole, positive, and bounded so sums stay exact. */
export const Quantity = z.number().int().min(1).max(1_000_000).openapi({ example: 2 });

export const StockLevel = z.number().int().min(0).max(1_000_000_000);

export const Reference = z.string().min(1).max(200).openapi({ example: "order-10042" });

export const Timestamp = z.string().openapi({ example: "2026-11-23T19:30:00.000Z", format: "date-time" });

export const Cursor = z.string().regex(/^\d{1,15}$/, "a cursor returned by a previous page").openapi({ example: "42" });

export const Problem = z
  .object({
    type: z.string().openapi({ example: "https://shelfsync.dev/problems/insufficient_stock" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(errorCodes),
    instance: z.string().openapi({ description: "The request id; it also appears in the edge's logs." }),
  })
  .catchall(z.unknown())
  .openapi("Problem");

export const IdempotencyKeyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: "Required on POST. The same key with the same body returns the first answer; with another body, 409 idempotency_conflict." }),
});
