import { forEachLimited } from "../shared/for-each-limited.ts";
import { posLoyalty, type PosLoyaltyAction } from "../shared/loyalty-earning.ts";
import type { LoyaltySettings } from "../shared/schemas/loyalty.ts";
import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import type { ExceptionDraft } from "./exception-queue.ts";
import { customerDirectory, customerLoyalty, exceptionQueue } from "./objects.ts";

const day = 24 * 60 * 60 * 1000;

/** Customers whose points are moved at once in one hand-off. */
const customerConcurrency = 16;

/** An accepted POS transaction of the store, with the sale it returns or voids when the store recorded it. */
export interface LoyaltyItem {
  transaction: PosTransaction;
  original: PosTransaction | null;
}

/**
 * Applies the loyalty effects of a store's accepted POS transactions
 * (docs/decisions/0038), each under a key derived from the transaction, so
 * a hand-off that runs again after a crash or a failed call earns, spends
 * and reverses nothing twice. Each customer's effects run in the store's
 * order (a return after its sale); customers run side by side. What the
 * customer's points could not cover becomes a `loyalty_short` exception.
 * Throws if an object could not be reached: the caller keeps the items for
 * its alarm.
 */
export async function applyStoreLoyalty(env: Env, tenantId: string, location: string, items: LoyaltyItem[]): Promise<void> {
  if (items.length === 0) return;
  const directory = customerDirectory(env, tenantId);
  const settings = await directory.getLoyaltySettings();
  const planned = items.flatMap(({ transaction, original }) => {
    const effects = posLoyalty(location, transaction, original, settings);
    return effects ? [{ transactionId: transaction.transactionId, ...effects }] : [];
  });
  if (planned.length === 0) return;
  const customers = await directory.resolvePosCustomers([...new Set(planned.map((item) => item.customerId))]);
  const byCustomer = new Map<string, typeof planned>();
  for (const item of planned) {
    const customerId = customers[item.customerId] ?? item.customerId;
    byCustomer.set(customerId, [...(byCustomer.get(customerId) ?? []), item]);
  }
  const drafts: ExceptionDraft[] = [];
  await forEachLimited([...byCustomer], customerConcurrency, async ([customerId, transactions]) => {
    for (const { transactionId, actions } of transactions) {
      for (const action of actions) {
        const short = await applyAction(env, tenantId, customerId, transactionId, action, settings);
        if (short) drafts.push(loyaltyShort(customerId, location, transactionId, short));
      }
    }
  });
  if (drafts.length > 0) await exceptionQueue(env, tenantId).record(drafts);
}

/** Whether applying the transaction may move a customer's points: a sale with a customer, or a return or void of a sale. */
export function movesPoints(body: PosTransaction): boolean {
  return body.type === "sale" ? body.customerId !== undefined : (body.returnsTransactionId ?? body.voidsTransactionId) !== undefined;
}

interface Short {
  effect: "redeem" | "reverse-earn";
  points: number;
  short: number;
}

/** Applies one effect; answers what the customer's points could not cover, if anything. */
async function applyAction(env: Env, tenantId: string, customerId: string, transactionId: string, action: PosLoyaltyAction, settings: LoyaltySettings): Promise<Short | null> {
  const stub = customerLoyalty(env, tenantId, customerId);
  const source = { source: "pos" as const, reference: transactionId, sourceKey: action.sourceKey };
  switch (action.kind) {
    case "earn": {
      const result = await stub.earn({ ...source, points: action.points, lifetimeMs: settings.lifetimeDays * day });
      if (!result.ok) throw new Error(`earning ${action.sourceKey}: ${result.code}`);
      return null;
    }
    case "redeem": {
      // The sale happened: the points it spent are taken, from its hold while that stands, else from what is there.
      let { outcome } = await stub.redeem({ ...source, points: action.points, ...(action.holdId === undefined ? {} : { holdId: action.holdId }), upTo: true });
      // A hold that ended or is unknown: spend from what there is instead (upTo spends a hold smaller than the sale, then the rest).
      if (!outcome.ok && action.holdId !== undefined && (outcome.code === "hold_not_active" || outcome.code === "not_found")) {
        ({ outcome } = await stub.redeem({ ...source, points: action.points, upTo: true }));
      }
      if (outcome.ok) return outcome.redemption.points < action.points ? { effect: "redeem", points: action.points, short: action.points - outcome.redemption.points } : null;
      if (outcome.code === "insufficient_points") return { effect: "redeem", points: action.points, short: action.points };
      throw new Error(`redemption ${action.sourceKey}: ${outcome.code}`);
    }
    case "reverseEarning": {
      const result = await stub.reverseEarning({ ...source, source: "return", earningKey: action.earningKey, part: action.part, whole: action.whole, allowNegative: settings.allowNegativeBalance });
      if (!result.ok) {
        // A sale that earned nothing has no earning to undo.
        if (result.code === "not_found") return null;
        throw new Error(`reversal ${action.sourceKey}: ${result.code}`);
      }
      return result.shortfall > 0 ? { effect: "reverse-earn", points: result.reversed + result.shortfall, short: result.shortfall } : null;
    }
    case "reverseRedemption": {
      const result = await stub.reverseRedemption({ ...source, source: "return", redemptionKey: action.redemptionKey, part: action.part, whole: action.whole });
      if (!result.ok) throw new Error(`reversal ${action.sourceKey}: ${result.code}`);
      return null;
    }
  }
}

function loyaltyShort(customerId: string, location: string, transactionId: string, { effect, points, short }: Short): ExceptionDraft {
  return {
    naturalKey: `loyalty_short:${location}:${transactionId}:${effect}`,
    type: "loyalty_short",
    subject: `customer:${customerId}`,
    correlationId: transactionId,
    payload: { customerId, location, transactionId, effect, points, short },
  };
}
