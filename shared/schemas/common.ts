import { z } from "@hono/zod-openapi";
import { errorCodes } from "../errors.ts";

/**
 * The one identifier character set: ASCII letters and digits, '.', '_' and
 * '-', starting with a letter or digit; nothing else: no spaces, no control
 * or invisible characters, no '/', '@' or ':' (they separate the parts of
 * object names, subjects and ledger keys). Safe in object names, URLs,
 * ledger references, logs and CSV without escaping. docs/security.md
 * ("Identifiers") is the reference.
 */
export const identifierCharacters = "letters, digits, '.', '_' or '-', starting with a letter or digit";

/** SKU, location, channel and manager ids: 1-64 characters of the identifier set. */
export const identifierPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Ids another system makes (POS transaction and terminal ids, customer ids,
 * channel order ids): the identifier set plus ':', which POS systems put in
 * transaction ids; 1-100 characters.
 */
export const externalIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

function identifier(example: string) {
  return z
    .string()
    .regex(identifierPattern, `1-64 characters: ${identifierCharacters}`)
    .openapi({ example, description: `1-64 characters: ${identifierCharacters}.` });
}

/**
 * An id another system made (see `externalIdPattern`), at most `max` characters.
 *
 * @example
 * ExternalId("SHOP-10042").parse("T01:000123") // "T01:000123"
 */
export function ExternalId(example: string, max = 100) {
  return z
    .string()
    .max(max)
    .regex(externalIdPattern, `1-${max} characters: ${identifierCharacters}, or ':'`)
    .openapi({ example, description: `1-${max} characters: ${identifierCharacters}, or ':'.` });
}

export const Sku = identifier("TSHIRT-RED-M");
export const LocationId = identifier("store-001");
export const ChannelId = identifier("web");

/** C0 and C1 control characters, DEL, and the invisible format characters (bidi overrides, zero-width) that disguise text. */
const controlCharacters = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

/**
 * Free text that ends up in ledgers, exceptions and feeds (a reason, a
 * reference, a name): 1-`max` characters, no control or invisible format
 * characters, no leading or trailing whitespace.
 */
export function PlainText(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .refine((text) => !controlCharacters.test(text), "must not contain control or invisible characters")
    .refine((text) => text.trim() === text, "must not start or end with whitespace");
}

export const TenantId = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, "1-40 lowercase letters, digits or '-', not starting or ending with '-'")
  .openapi({ example: "acme-retail" });

/**
 * Money is always an integer number of minor units (cents) in the
 * transaction's currency, at most `maxMinorUnits` per field and
 * `maxLineMinorUnits` per line (qty × unitPrice), so that every sum
 * Shelfsync makes of them (a 500-line sale, a refund tally) stays an exact
 * integer, far below Number.MAX_SAFE_INTEGER.
 */
export const maxMinorUnits = 100_000_000_000;
export const maxLineMinorUnits = 1_000_000_000_000;

export const MinorUnits = z.number().int().min(0).max(maxMinorUnits);

/** What one line of a sale or an order costs, in minor units: the same fields at the till and on a channel. */
export const LineAmounts = {
  unitPrice: MinorUnits,
  discount: MinorUnits.default(0).openapi({ description: "The line's whole discount: at most qty × unitPrice." }),
  tax: MinorUnits.default(0),
};

/**
 * The checks of a line's amounts together: qty × unitPrice within
 * `maxLineMinorUnits`, and a discount never above qty × unitPrice. Add it
 * to every object that spreads `LineAmounts`.
 *
 * @example
 * z.object({ qty: Quantity, ...LineAmounts }).superRefine(checkLineAmounts)
 */
export function checkLineAmounts(line: { qty: number; unitPrice: number; discount: number }, context: z.RefinementCtx): void {
  const gross = line.qty * line.unitPrice;
  if (gross > maxLineMinorUnits) context.addIssue({ code: "custom", path: ["unitPrice"], message: `qty × unitPrice must be at most ${maxLineMinorUnits} minor units` });
  else if (line.discount > gross) context.addIssue({ code: "custom", path: ["discount"], message: "discount must not exceed qty × unitPrice" });
}

/** Units of stock: whole, positive, and bounded so sums stay exact. */
export const Quantity = z.number().int().min(1).max(1_000_000).openapi({ example: 2 });

export const StockLevel = z.number().int().min(0).max(1_000_000_000);

export const Reference = PlainText(200).openapi({ example: "order-10042" });

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
