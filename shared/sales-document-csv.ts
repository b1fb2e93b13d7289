import { cell, netsuiteDate } from "./journal-csv.ts";
import { minorToDecimal } from "./money.ts";
import type { SalesDocument } from "./schemas/finance.ts";

/**
 * NetSuite's sales order CSV import layout: header fields repeated on each
 * line row, External ID on every row (so a second import of the same file
 * updates the order, never makes two). Amount is the line net of its
 * discount; Tax is the line's tax share, for the record (NetSuite computes
 * its own from tax codes).
 */
export const netsuiteSalesOrderColumns = [
  "External ID",
  "Date",
  "Customer",
  "Currency",
  "Location",
  "Memo",
  "Shipping Cost",
  "Line: Item",
  "Line: Quantity",
  "Line: Rate",
  "Line: Discount",
  "Line: Amount",
  "Line: Tax",
] as const;

/** The memo of a sales document: which order, channel and fulfilment it is. */
export function salesDocumentMemo(document: SalesDocument): string {
  return `Order ${document.channelOrderId} on ${document.channel}${document.sequence > 1 ? `, document ${document.sequence}` : ""} (Shelfsync ${document.externalId})`;
}

/**
 * One sales document as a NetSuite sales order import CSV (CRLF rows,
 * amounts as decimals in the currency's digits).
 *
 * @example
 * salesOrderCsv(document, "Web customers").split("\r\n")[1] // "web:SHOP-10042,11/23/2026,Web customers,USD,wh-1,…,TSHIRT-RED-M,2,19.99,0.00,39.98,3.20"
 */
export function salesOrderCsv(document: SalesDocument, customer: string): string {
  const money = (minor: number) => minorToDecimal(minor, document.currency);
  const rows: string[] = [netsuiteSalesOrderColumns.join(",")];
  for (const line of document.lines) {
    rows.push(
      [
        document.externalId,
        netsuiteDate(document.date),
        customer,
        document.currency,
        document.location,
        salesDocumentMemo(document),
        money(document.shipping),
        line.sku,
        String(line.qty),
        money(line.unitPrice),
        money(line.discount),
        money(line.qty * line.unitPrice - line.discount),
        money(line.tax),
      ]
        .map(cell)
        .join(","),
    );
  }
  return `${rows.join("\r\n")}\r\n`;
}
