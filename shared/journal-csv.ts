import { minorToDecimal } from "./money.ts";
import type { Journal } from "./schemas/finance.ts";

/** A posted journal with the ERP dimensions it was posted under. */
export interface ExportedJournal extends Journal {
  locationDimension: string;
  department: string;
  class: string;
}

/**
 * NetSuite's journal entry CSV import layout (one file: header fields
 * repeated on each line row). Every row carries the journal's External ID,
 * which the rows of one journal share; a line fills either Debit or Credit.
 */
export const netsuiteJournalColumns = [
  "External ID",
  "Date",
  "Currency",
  "Memo",
  "Line: Account",
  "Line: Debit",
  "Line: Credit",
  "Line: Memo",
  "Line: Location",
  "Line: Department",
  "Line: Class",
] as const;

export function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** NetSuite reads the date as the account's date format; ISO dates as MM/DD/YYYY, its US default. */
export function netsuiteDate(date: string): string {
  const [year, month, day] = date.split("-");
  return `${month}/${day}/${year}`;
}

/**
 * The journals as one NetSuite journal import CSV (CRLF rows, amounts as
 * decimals in the currency's digits).
 *
 * @example
 * netsuiteJournalCsv([journal]).split("\r\n")[1] // "JE-acme-2026-11-23-store-a-pos-0,11/23/2026,USD,…,4000,,19.99,Gross sales,store-a,pos,"
 */
export function netsuiteJournalCsv(journals: ExportedJournal[]): string {
  const rows: string[] = [netsuiteJournalColumns.join(",")];
  for (const journal of journals) {
    const memo = `${journal.adjustment ? `Adjustment ${journal.sequence} to the` : "Daily"} journal of ${journal.date}, ${journal.location} × ${journal.channel}`;
    for (const line of journal.lines) {
      rows.push(
        [
          journal.id,
          netsuiteDate(journal.date),
          journal.currency,
          memo,
          line.account,
          line.debit > 0 ? minorToDecimal(line.debit, journal.currency) : "",
          line.credit > 0 ? minorToDecimal(line.credit, journal.currency) : "",
          line.memo,
          journal.locationDimension,
          journal.department,
          journal.class,
        ]
          .map(cell)
          .join(","),
      );
    }
  }
  return `${rows.join("\r\n")}\r\n`;
}
