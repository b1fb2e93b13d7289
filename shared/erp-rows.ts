/**
 * Reading one ERP row through a tenant's mapping: text cells in, a typed row
 * (money in minor units, times in epoch ms) or the first fault with its
 * column out. Pure, so the Worker validates every row while it streams.
 */

import { decimalToMinor } from "./money.ts";
import { identifierPattern, maxMinorUnits } from "./schemas/common.ts";
import { Barcode, PutCatalogItemRequest } from "./schemas/catalog.ts";
import { PutCustomerRequest } from "./schemas/customers.ts";
import { CustomerId, maxPoints } from "./schemas/loyalty.ts";
import type { ErpDateFormat, ErpField, ErpImportType, ErpMapping, ErpRow } from "./schemas/erp.ts";

export type RowReading = { ok: true; row: ErpRow } | { ok: false; column: string | null; reason: string };

/** Counts further in the future than this are refused: a clock that far ahead is wrong. */
export const maxAsOfAheadMs = 5 * 60_000;

class RowFault extends Error {
  readonly column: string | null;

  constructor(column: string | null, reason: string) {
    super(reason);
    this.column = column;
  }
}

/**
 * Reads one row. `cell(field)` gives the text of the column the mapping
 * names for that field (undefined: the field is not mapped, or the cell is
 * absent). `defaults.asOf` is the import's as-of time for stock rows without
 * an asOf column.
 *
 * @example
 * readRow("prices", mapping, 2, (field) => ({ sku: "A-1", price: "1,299.00" })[field], { now }) // { ok: true, row: { type: "prices", row: 2, sku: "A-1", price: 129900, currency: "USD" } }
 */
export function readRow(type: ErpImportType, mapping: ErpMapping, row: number, cell: (field: ErpField) => string | undefined, defaults: { asOf?: number; now: number }): RowReading {
  const columnOf = new Map(Object.entries(mapping.columns).map(([column, field]) => [field, column]));
  const column = (field: ErpField) => columnOf.get(field) ?? field;
  const text = (field: ErpField, required: boolean): string | undefined => {
    const value = cell(field)?.trim();
    if (value === undefined || value === "") {
      if (required) throw new RowFault(column(field), `${field} is empty`);
      return undefined;
    }
    return value;
  };
  try {
    if (type === "customers") return { ok: true, row: readCustomer(row, text, column, mapping) };
    const sku = text("sku", true)!;
    if (!identifierPattern.test(sku)) throw new RowFault(column("sku"), `SKU "${sku}" is not 1-64 letters, digits, '.', '_' or '-'`);
    if (type === "stock") {
      const location = text("location", true)!;
      if (!identifierPattern.test(location)) throw new RowFault(column("location"), `location "${location}" is not a location id`);
      const onHand = readQuantity(text("onHand", true)!, mapping, column("onHand"));
      const asOfText = text("asOf", false);
      const asOf = asOfText === undefined ? defaults.asOf : readDate(asOfText, mapping.dateFormat, column("asOf"));
      if (asOf === undefined) throw new RowFault(column("asOf"), "the count has no as-of time: map an asOf column or send ?asOf=");
      if (asOf > defaults.now + maxAsOfAheadMs) throw new RowFault(column("asOf"), `as-of time ${new Date(asOf).toISOString()} is in the future`);
      return { ok: true, row: { type, row, sku, location, onHand, asOf } };
    }
    const currency = text("currency", false) ?? mapping.currency;
    if (currency === undefined) throw new RowFault(column("currency"), "no currency: the row has none and the mapping gives none");
    if (!/^[A-Z]{3}$/.test(currency)) throw new RowFault(column("currency"), `currency "${currency}" is not an ISO 4217 code`);
    const price = readPrice(text("price", true)!, currency, mapping, column("price"));
    if (type === "prices") return { ok: true, row: { type, row, sku, price, currency } };
    const barcodes = (text("barcodes", false) ?? "").split(mapping.barcodeSeparator).map((code) => code.trim()).filter((code) => code !== "");
    const bad = barcodes.find((code) => !Barcode.safeParse(code).success);
    if (bad !== undefined) throw new RowFault(column("barcodes"), `barcode "${bad}" is not 4-64 letters, digits or '-'`);
    const item = PutCatalogItemRequest.safeParse({ name: text("name", true), barcodes, price, currency });
    if (!item.success) {
      const issue = item.error.issues[0]!;
      const field = (issue.path[0] === "barcodes" ? "barcodes" : "name") as ErpField;
      throw new RowFault(column(field), `${field}: ${issue.message}`);
    }
    return { ok: true, row: { type, row, sku, name: item.data.name, price, currency, barcodes: item.data.barcodes } };
  } catch (error) {
    if (error instanceof RowFault) return { ok: false, column: error.column, reason: error.message };
    throw error;
  }
}

/**
 * A customer row: its id, and its contact, name and loyalty id read by the
 * same schema as PUT /v1/customers/{id}'s body. Email and phone are only
 * length-checked here: the directory normalises them with the tenant's
 * default country, and answers invalid_email or invalid_phone when it cannot.
 */
function readCustomer(row: number, text: (field: ErpField, required: boolean) => string | undefined, column: (field: ErpField) => string, mapping: ErpMapping): ErpRow {
  const id = text("id", true)!;
  if (!CustomerId.safeParse(id).success) throw new RowFault(column("id"), `customer id "${id}" is not 1-100 letters, digits, '.', '_', '-' or ':'`);
  const pointsText = text("points", false);
  const points = pointsText === undefined ? 0 : readPoints(pointsText, mapping, column("points"));
  const fields = ["email", "phone", "name", "loyaltyId"] as const;
  // An empty cell is a field left out, which PUT stores as null.
  const given = fields.flatMap((field) => {
    const value = text(field, false);
    return value === undefined ? [] : [[field, value] as const];
  });
  const customer = PutCustomerRequest.safeParse(Object.fromEntries(given));
  if (!customer.success) {
    const issue = customer.error.issues[0]!;
    const field = issue.path[0] as (typeof fields)[number];
    throw new RowFault(column(field), `${field}: ${issue.message}`);
  }
  return { type: "customers", row, id, customer: customer.data, points };
}

/** An opening points balance: a whole number, zero or more. */
function readPoints(value: string, mapping: ErpMapping, column: string): number {
  const plain = withoutThousands(value, mapping);
  if (/^-\d/.test(plain)) throw new RowFault(column, `points ${value} is negative: an opening balance is zero or more`);
  if (!/^\d{1,10}$/.test(plain) || Number(plain) > maxPoints) throw new RowFault(column, `points "${value}" is not a whole number of points up to ${maxPoints}`);
  return Number(plain);
}

function withoutThousands(value: string, mapping: ErpMapping): string {
  return mapping.thousandsSeparator === "" ? value : value.split(mapping.thousandsSeparator).join("");
}

function readPrice(value: string, currency: string, mapping: ErpMapping, column: string): number {
  const plain = withoutThousands(value, mapping);
  if (plain.startsWith("-")) throw new RowFault(column, `price ${value} is negative`);
  if (mapping.amounts === "minor") {
    if (!/^\d{1,15}$/.test(plain)) throw new RowFault(column, `price "${value}" is not a whole number of minor units`);
    const minor = Number(plain);
    if (minor > maxMinorUnits) throw new RowFault(column, `price ${value} is over ${maxMinorUnits} minor units`);
    return minor;
  }
  const decimal = mapping.decimalSeparator === "," ? plain.replace(",", ".") : plain;
  const minor = decimalToMinor(decimal, currency);
  if (minor === null) throw new RowFault(column, `price "${value}" is not a ${currency} amount (digits, the decimal separator "${mapping.decimalSeparator}", at most the currency's minor digits)`);
  if (minor > maxMinorUnits) throw new RowFault(column, `price ${value} is over ${maxMinorUnits} minor units`);
  return minor;
}

function readQuantity(value: string, mapping: ErpMapping, column: string): number {
  const plain = withoutThousands(value, mapping);
  if (/^-\d+$/.test(plain)) throw new RowFault(column, `on hand ${value} is negative: a count is never below zero`);
  if (!/^\d{1,10}$/.test(plain) || Number(plain) > 1_000_000_000) throw new RowFault(column, `on hand "${value}" is not a whole number of units up to 1,000,000,000`);
  return Number(plain);
}

const datePatterns: Record<Exclude<ErpDateFormat, "iso">, { pattern: RegExp; order: ["y" | "m" | "d", "y" | "m" | "d", "y" | "m" | "d"] }> = {
  "YYYY-MM-DD": { pattern: /^(\d{4})-(\d{2})-(\d{2})/, order: ["y", "m", "d"] },
  "DD/MM/YYYY": { pattern: /^(\d{2})\/(\d{2})\/(\d{4})/, order: ["d", "m", "y"] },
  "MM/DD/YYYY": { pattern: /^(\d{2})\/(\d{2})\/(\d{4})/, order: ["m", "d", "y"] },
  "DD.MM.YYYY": { pattern: /^(\d{2})\.(\d{2})\.(\d{4})/, order: ["d", "m", "y"] },
};

/** A date in the mapping's format as epoch ms; every format but `iso` is UTC. */
function readDate(value: string, format: ErpDateFormat, column: string): number {
  if (format === "iso") {
    const ms = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) ? Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value) : Number.NaN;
    if (Number.isNaN(ms)) throw new RowFault(column, `"${value}" is not an ISO 8601 date-time with a zone (or a date)`);
    return ms;
  }
  const { pattern, order } = datePatterns[format];
  const match = pattern.exec(value);
  const rest = match ? value.slice(match[0].length) : "";
  const time = /^(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(rest);
  if (!match || !time) throw new RowFault(column, `"${value}" is not a date in the format ${format} (optionally " HH:mm" or " HH:mm:ss", UTC)`);
  const part = (name: "y" | "m" | "d") => Number(match[order.indexOf(name) + 1]);
  const [hours, minutes, seconds] = [Number(time[1] ?? 0), Number(time[2] ?? 0), Number(time[3] ?? 0)];
  const ms = Date.UTC(part("y"), part("m") - 1, part("d"), hours, minutes, seconds);
  const back = new Date(ms);
  if (back.getUTCMonth() !== part("m") - 1 || back.getUTCDate() !== part("d") || hours > 23 || minutes > 59 || seconds > 59) {
    throw new RowFault(column, `"${value}" is not a calendar date and time`);
  }
  return ms;
}
