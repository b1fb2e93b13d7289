import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import type { UnknownSkuPayload } from "../shared/schemas/exceptions.ts";
import type { ExceptionDraft } from "./exception-queue.ts";
import type { PlannedMovement } from "./schema/store-ingest.ts";
import { posMovementKey, type StoreMovementOutcome } from "./store-movements.ts";

/** An applied POS transaction, as far as its exceptions need to know. */
export interface AppliedTransaction {
  transactionId: string;
  body: PosTransaction;
  movements: PlannedMovement[];
}

/**
 * The exceptions one applied POS transaction raises, each under a natural
 * key of the transaction, so that applying it again records nothing twice:
 * - `reservations_short` per sale line that left reservations uncovered;
 * - one `unknown_sku` for all the codes the catalog did not know (however
 *   many: a batch of made-up codes costs one row per transaction, no object
 *   per code);
 * - `tender_short` for a sale whose tenders do not cover its total.
 */
export function exceptionsOf(location: string, row: AppliedTransaction, outcomes: Map<string, StoreMovementOutcome>): ExceptionDraft[] {
  const { transactionId } = row;
  return [...shortages(location, transactionId, row.movements, outcomes), ...unknownCodes(location, transactionId, row.movements), ...tenderShort(location, row)];
}

/** `reservations_short` drafts of the lines whose sale left reservations at the location uncovered. */
export function shortages(location: string, transactionId: string, movements: PlannedMovement[], outcomes: Map<string, StoreMovementOutcome>): ExceptionDraft[] {
  return movements.flatMap((movement): ExceptionDraft[] => {
    const short = outcomes.get(posMovementKey(location, transactionId, movement.line))?.short;
    if (!short) return [];
    return [
      {
        naturalKey: `reservations_short:${location}:${transactionId}:${movement.line}`,
        type: "reservations_short",
        subject: `sku:${movement.sku}@${location}`,
        correlationId: transactionId,
        payload: { sku: movement.sku, location, transactionId, line: movement.line, ...short },
      },
    ];
  });
}

function unknownCodes(location: string, transactionId: string, movements: PlannedMovement[]): ExceptionDraft[] {
  const codes = new Map<string, UnknownSkuPayload["codes"][number]>();
  for (const movement of movements) {
    if (movement.known) continue;
    const entry = codes.get(movement.code) ?? { sku: movement.code, lines: [], held: movement.held === true };
    entry.lines.push(movement.line);
    codes.set(movement.code, entry);
  }
  if (codes.size === 0) return [];
  const [first] = codes.keys();
  return [
    {
      naturalKey: `unknown_sku:${location}:${transactionId}`,
      type: "unknown_sku",
      subject: codes.size === 1 ? `sku:${first}@${location}` : `pos:${transactionId}@${location}`,
      correlationId: transactionId,
      payload: { location, transactionId, codes: [...codes.values()] },
    },
  ];
}

/**
 * What a sale came to, in minor units: Σ (qty × unitPrice − discount + tax).
 * Exact: the schema bounds every line (shared/schemas/common.ts), so the
 * sum of 500 lines stays far below Number.MAX_SAFE_INTEGER.
 */
export function saleTotal(transaction: Pick<PosTransaction, "lines">): number {
  return transaction.lines.reduce((total, line) => total + line.qty * line.unitPrice - line.discount + line.tax, 0);
}

function tenderShort(location: string, { transactionId, body }: AppliedTransaction): ExceptionDraft[] {
  if (body.type !== "sale") return [];
  const total = saleTotal(body);
  const tendered = body.tenders.reduce((sum, tender) => sum + tender.amount, 0);
  if (tendered >= total) return [];
  return [
    {
      naturalKey: `tender_short:${location}:${transactionId}`,
      type: "tender_short",
      subject: `pos:${transactionId}@${location}`,
      correlationId: transactionId,
      payload: { location, transactionId, total, tendered, shortBy: total - tendered, currency: body.currency },
    },
  ];
}
