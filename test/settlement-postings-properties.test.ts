import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lineKeyOf, netted, type Posting } from "../shared/finance-postings.ts";
import { journalLines } from "../shared/journal-lines.ts";
import { matchPostings, netOf, settlementPostings, type LineForPosting } from "../shared/settlement-postings.ts";
import { settlementSettings } from "./settlement-fixtures.ts";

const settlementLine = fc.record({
  kind: fc.constantFrom("charge", "refund", "fee", "reserve", "adjustment"),
  amount: fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fee: fc.integer({ min: -5_000, max: 50_000 }),
  matched: fc.boolean(),
}) as fc.Arbitrary<LineForPosting>;

/** Lines and a deposit that is their net sum, or off it by `gap` (what the source did not list). */
const payout = fc.record({ lines: fc.array(settlementLine, { maxLength: 40 }), gap: fc.oneof(fc.constant(0), fc.integer({ min: -10_000, max: 10_000 })), channel: fc.constantFrom("web", "amazon") });

function byLine(postings: Posting[]): Record<string, number> {
  return Object.fromEntries(netted(postings).map((posting) => [lineKeyOf(posting), posting.amount]));
}

describe("a settlement's postings", () => {
  it("balance whatever the lines, debit the bank by the deposit and make a journal whose debits equal its credits", () => {
    fc.assert(
      fc.property(payout, ({ lines, gap, channel }) => {
        const deposit = lines.reduce((total, line) => total + netOf(line), 0) + gap;
        const postings = settlementPostings(lines, deposit, channel);
        expect(postings.reduce((total, posting) => total + posting.amount, 0)).toBe(0);
        expect(byLine(postings).bank ?? 0).toBe(0 - deposit);
        const clearing = lines.filter((line) => line.matched && (line.kind === "charge" || line.kind === "refund")).reduce((total, line) => total + line.amount, 0);
        expect(byLine(postings)[`channel_clearing:${channel}`] ?? 0).toBe(clearing);
        const journal = journalLines(postings.map((posting) => ({ ...posting, sourceCount: 1 })), settlementSettings);
        expect(journal.reduce((total, line) => total + line.debit, 0)).toBe(journal.reduce((total, line) => total + line.credit, 0));
      }),
    );
  });

  it("booked with lines unmatched, then each matched, come to the same books as if every line had matched at once", () => {
    fc.assert(
      fc.property(payout, ({ lines, gap, channel }) => {
        const deposit = lines.reduce((total, line) => total + netOf(line), 0) + gap;
        const later = [settlementPostings(lines, deposit, channel), ...lines.filter((line) => !line.matched && (line.kind === "charge" || line.kind === "refund")).map((line) => matchPostings(line.amount, channel))].flat();
        const atOnce = settlementPostings(lines.map((line) => ({ ...line, matched: true })), deposit, channel);
        expect(byLine(later)).toEqual(byLine(atOnce));
      }),
    );
  });
});
