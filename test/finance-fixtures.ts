import { sampleAccounts } from "../fixtures/chart-of-accounts.ts";
import type { FinanceSettings, Journal, JournalLine } from "../shared/schemas/finance.ts";


/** A complete account mapping (the sample chart of accounts). */
export const completeAccounts = sampleAccounts;

export function financeSettings(overrides: Partial<FinanceSettings> = {}): FinanceSettings {
  return {
    timeZone: "America/New_York",
    cutoff: "02:00",
    salesDocumentsOn: "fulfilled",
    defaultTaxTitle: "tax",
    accounts: completeAccounts,
    dimensions: { locations: { "store-a": "NS-LOC-1" }, channels: { pos: "Retail", web: "Online" }, classes: {} },
    ...overrides,
  };
}

/** A line's signed amount: credit positive, debit negative. */
export function signed(line: Pick<JournalLine, "debit" | "credit">): number {
  return line.credit - line.debit;
}

/** The signed total of a journal's lines of one kind (and detail, if given). */
export function lineTotal(journal: Pick<Journal, "lines">, kind: JournalLine["kind"], detail?: string): number {
  return journal.lines.filter((line) => line.kind === kind && (detail === undefined || line.detail === detail)).reduce((total, line) => total + signed(line), 0);
}

/** Debits and credits of a journal's lines. */
export function sides(journal: Pick<Journal, "lines">): { debit: number; credit: number } {
  return { debit: journal.lines.reduce((t, l) => t + l.debit, 0), credit: journal.lines.reduce((t, l) => t + l.credit, 0) };
}

/** RFC 4180 rows: quoted fields may hold commas and doubled quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") row.push(field), (field = "");
    else if (char === "\r" && text[i + 1] === "\n") {
      row.push(field), rows.push(row), (row = []), (field = ""), i++;
    } else field += char;
  }
  if (field !== "" || row.length > 0) row.push(field), rows.push(row);
  return rows;
}
