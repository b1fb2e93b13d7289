import { currencyExponent, signedDecimalToMinor } from "../../shared/money.ts";
import type { ParsedSettlementLine, SettlementReading } from "../../shared/settlement-postings.ts";
import type { SettlementLineKind, SettlementProblem } from "../../shared/schemas/settlements.ts";

/** The columns we read of the V2 settlement flat file (it has more: merchant-order-id, shipment-id, sku, …, kept out of the books). */
export const amazonV2Columns = [
  "settlement-id",
  "settlement-start-date",
  "settlement-end-date",
  "deposit-date",
  "total-amount",
  "currency",
  "transaction-type",
  "order-id",
  "amount-type",
  "amount-description",
  "amount",
] as const;
type Column = (typeof amazonV2Columns)[number] | "posted-date-time" | "posted-date" | "order-item-code" | "sku";

/** Reserve rows sit outside any order: held back now (negative), released from the last settlement (positive). */
const reserveDescriptions = new Set(["current reserve amount", "previous reserve amount balance"]);
const feePattern = /fee|commission|advertising/i;

/**
 * A date of the flat file as ISO 8601: `2026-11-24`, `2026-11-24 03:00:00 UTC`,
 * `2026-11-24T03:00:00+00:00` or (EU marketplaces) `24.11.2026 03:00:00 UTC`; null otherwise.
 */
export function amazonDate(text: string): string | null {
  const trimmed = text.trim();
  const eu = /^(\d{2})\.(\d{2})\.(\d{4})(.*)$/.exec(trimmed);
  const normal = eu ? `${eu[3]}-${eu[2]}-${eu[1]}${eu[4]}` : trimmed;
  const match = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}:\d{2})(?:\.\d+)?\s*(UTC|Z|[+-]\d{2}:?\d{2})?)?$/.exec(normal);
  if (!match) return null;
  const zone = match[3] === undefined || match[3] === "UTC" || match[3] === "Z" ? "Z" : match[3];
  const time = Date.parse(`${match[1]}T${match[2] ?? "00:00:00"}${zone}`);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function kindOf(transactionType: string, orderId: string, amountType: string, description: string): SettlementLineKind {
  if (reserveDescriptions.has(description.toLowerCase())) return "reserve";
  if (amountType === "ItemFees" || transactionType === "ServiceFee" || feePattern.test(amountType) || feePattern.test(description)) return "fee";
  if (orderId !== "" && transactionType === "Order") return "charge";
  if (orderId !== "" && transactionType === "Refund") return "refund";
  return "adjustment";
}

/**
 * Reads Amazon's V2 settlement report (tab-separated, no quoting): a header
 * line naming the columns, the summary row (settlement-id, start and end
 * dates, deposit-date, total-amount, currency), then one row per amount.
 * Each amount row is a line: Order rows a charge and Refund rows a refund of
 * their `order-id` (principal, tax, shipping, promotions, withheld tax: what
 * the order is owed), fee rows (ItemFees, fees and commissions, advertising)
 * a fee, the reserve rows a reserve, anything else an adjustment. Amounts
 * are signed decimals with a dot; a row with another field count, another
 * settlement id or currency, or an amount that is not one, refuses the file
 * whole, each problem naming its line (the header is line 1).
 */
export function readAmazonSettlement(text: string): SettlementReading {
  const rows = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  while (rows.length > 0 && rows[rows.length - 1]!.trim() === "") rows.pop();
  if (rows.length < 2) return { ok: false, problems: [{ row: null, field: null, reason: "the file needs a header line and a summary row" }] };
  const header = rows[0]!.split("\t").map((name) => name.trim());
  const missing = amazonV2Columns.filter((column) => !header.includes(column));
  if (missing.length > 0) return { ok: false, problems: [{ row: 1, field: null, reason: `the header lacks ${missing.join(", ")}: not a V2 settlement flat file` }] };
  const problems: SettlementProblem[] = [];
  const records = rows.slice(1).map((row, index) => ({ line: index + 2, fields: row.split("\t") }));
  const cell = (fields: string[], column: Column) => {
    const at = header.indexOf(column);
    return at < 0 ? "" : (fields[at] ?? "").trim();
  };
  for (const record of records) {
    if (record.fields.length !== header.length) problems.push({ row: record.line, field: null, reason: `expected ${header.length} tab-separated fields as in the header, found ${record.fields.length}` });
  }
  if (problems.length > 0) return { ok: false, problems };

  const [summary, ...amountRows] = records;
  const settlementId = cell(summary!.fields, "settlement-id");
  const currency = cell(summary!.fields, "currency");
  if (!/^[A-Za-z0-9]{1,40}$/.test(settlementId)) problems.push({ row: summary!.line, field: "settlement-id", reason: `"${settlementId}" is not a settlement id` });
  if (currencyExponent(currency) === null) problems.push({ row: summary!.line, field: "currency", reason: `"${currency}" is not an ISO 4217 currency code` });
  const deposit = currencyExponent(currency) === null ? null : signedDecimalToMinor(cell(summary!.fields, "total-amount"), currency);
  if (deposit === null) problems.push({ row: summary!.line, field: "total-amount", reason: `"${cell(summary!.fields, "total-amount")}" is not an amount in ${currency} (a dot as decimal separator)` });
  const depositDate = amazonDate(cell(summary!.fields, "deposit-date"));
  if (depositDate === null) problems.push({ row: summary!.line, field: "deposit-date", reason: `"${cell(summary!.fields, "deposit-date")}" is not a date` });
  if (problems.length > 0) return { ok: false, problems };

  const lines: ParsedSettlementLine[] = [];
  for (const { line, fields } of amountRows) {
    const rowId = cell(fields, "settlement-id");
    if (rowId !== "" && rowId !== settlementId) problems.push({ row: line, field: "settlement-id", reason: `settlement ${rowId} differs from the summary's ${settlementId}` });
    const rowCurrency = cell(fields, "currency");
    if (rowCurrency !== "" && rowCurrency !== currency) problems.push({ row: line, field: "currency", reason: `currency ${rowCurrency} differs from the settlement's ${currency}` });
    const text = cell(fields, "amount");
    const amount = signedDecimalToMinor(text, currency);
    if (amount === null) problems.push({ row: line, field: "amount", reason: `"${text}" is not an amount in ${currency} (a dot as decimal separator, at most ${currencyExponent(currency)} decimals)` });
    if (problems.length > 0 || amount === null) continue;
    const transactionType = cell(fields, "transaction-type");
    const orderId = cell(fields, "order-id");
    const amountType = cell(fields, "amount-type");
    const description = cell(fields, "amount-description");
    const posted = cell(fields, "posted-date-time") || cell(fields, "posted-date");
    lines.push({
      sourceLineId: String(line),
      kind: kindOf(transactionType, orderId, amountType, description),
      description: [transactionType, amountType, description].filter(Boolean).join(" / "),
      reference: orderId === "" ? null : orderId,
      noReferenceReason: "the row has no order-id",
      amount,
      fee: 0,
      occurredAt: posted === "" ? null : amazonDate(posted),
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    settlement: {
      source: "amazon-v2",
      externalId: settlementId,
      currency,
      deposit: deposit!,
      depositDate: depositDate!,
      periodStart: amazonDate(cell(summary!.fields, "settlement-start-date")),
      periodEnd: amazonDate(cell(summary!.fields, "settlement-end-date")),
      lines,
    },
  };
}
