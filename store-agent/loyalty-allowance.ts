import { and, eq, isNull, or } from "drizzle-orm";
import { AppError } from "../shared/errors.ts";
import type { PosCustomer } from "../shared/schemas/store-agent.ts";
import type { PosTransaction } from "../shared/schemas/store-transactions.ts";
import type { AgentDatabase } from "./db/client.ts";
import type { AgentConfig } from "./env.ts";
import { loyaltyAllowances, outbox } from "./db/schema.ts";
import { notYetRecorded, type Outbox, type RecordOutcome } from "./outbox.ts";

export type LoyaltyAllowance = typeof loyaltyAllowances.$inferSelect;

/** What the agent does with a redemption its hold does not cover (`--offline-redemption`). */
export type OfflineRedemptionPolicy = AgentConfig["offlineRedemption"];

/** The cached customer a till's id names: by loyalty id first (as the edge resolves a POS customer id), else by customer id. */
export async function findAllowance(store: AgentDatabase, loyaltyIdOrCustomerId: string): Promise<LoyaltyAllowance | undefined> {
  const rows = await store.db
    .select()
    .from(loyaltyAllowances)
    .where(or(eq(loyaltyAllowances.loyaltyId, loyaltyIdOrCustomerId), eq(loyaltyAllowances.customerId, loyaltyIdOrCustomerId)));
  return rows.find((row) => row.loyaltyId === loyaltyIdOrCustomerId) ?? rows[0];
}

/**
 * Points a sale may redeem now on the store's word: all of the hold while
 * no sale here has used it and it has not expired, else none. A hold backs
 * one redemption because the edge releases what a redemption leaves of it.
 */
export function redeemableNow(allowance: LoyaltyAllowance, now: number): number {
  const usable = allowance.holdId !== null && allowance.redeemedBy === null && allowance.holdExpiresAt !== null && now < allowance.holdExpiresAt;
  return usable ? allowance.heldPoints : 0;
}

/** The till's view of a cached customer. */
export function customerView(allowance: LoyaltyAllowance, source: PosCustomer["source"], now: number): PosCustomer {
  const redeemableOffline = redeemableNow(allowance, now);
  return {
    customerId: allowance.customerId,
    loyaltyId: allowance.loyaltyId,
    name: allowance.name,
    balance: allowance.balance,
    redeemableOffline,
    holdExpiresAt: redeemableOffline > 0 ? new Date(allowance.holdExpiresAt!).toISOString() : null,
    asOf: new Date(allowance.asOf).toISOString(),
    source,
  };
}

export interface RedemptionDeskOptions {
  store: AgentDatabase;
  outbox: Outbox;
  policy: OfflineRedemptionPolicy;
  clock?: () => number;
}

/**
 * Records sales that redeem points, deciding each redemption on what the
 * store holds (docs/decisions/0038, "The store offline"). Covered by the
 * customer's hold: the sale names the hold, and the hold is marked used in
 * the same write that records the sale. Not covered: refused with
 * `redemption_not_covered` (nothing recorded; the till completes the sale
 * without it), or under `allow` recorded without a hold, for the edge to
 * spend what is there and raise `loyalty_short` for the rest.
 *
 * The agent alone decides `holdId`: a terminal's own is replaced, because
 * a redemption naming a hold with fewer points than it spends is one the
 * edge cannot apply.
 *
 * Redemptions are decided one at a time, so two tills cannot both use the
 * same hold; sales without one do not wait on them.
 */
export class RedemptionDesk {
  readonly #store: AgentDatabase;
  readonly #outbox: Outbox;
  readonly #policy: OfflineRedemptionPolicy;
  readonly #clock: () => number;
  #turn: Promise<unknown> = Promise.resolve();

  constructor(options: RedemptionDeskOptions) {
    this.#store = options.store;
    this.#outbox = options.outbox;
    this.#policy = options.policy;
    this.#clock = options.clock ?? Date.now;
  }

  /** Records a sale whose `loyalty.redeem` is set, as {@link Outbox.record} does once the redemption is decided. */
  record(transaction: PosTransaction, terminalTrace?: string | null): Promise<RecordOutcome> {
    const result = this.#turn.then(() => this.#record(transaction, terminalTrace));
    this.#turn = result.catch(() => undefined);
    return result;
  }

  async #record(transaction: PosTransaction, terminalTrace?: string | null): Promise<RecordOutcome> {
    const redeem = transaction.loyalty!.redeem!;
    const customerId = transaction.customerId!;
    // A retry of a recorded sale names the hold the first recording chose, so that the outbox finds the same body.
    const recorded = await this.#store.db.select({ body: outbox.body }).from(outbox).where(eq(outbox.transactionId, transaction.transactionId)).get();
    if (recorded) {
      const holdId = (JSON.parse(recorded.body) as PosTransaction).loyalty?.redeem?.holdId;
      return this.#outbox.record(withHold(transaction, holdId), terminalTrace);
    }

    const allowance = await findAllowance(this.#store, customerId);
    const redeemable = allowance ? redeemableNow(allowance, this.#clock()) : 0;
    if (allowance && redeem.points <= redeemable) {
      const markUsed = this.#store.db
        .update(loyaltyAllowances)
        .set({ redeemedPoints: redeem.points, redeemedBy: transaction.transactionId })
        .where(
          and(
            eq(loyaltyAllowances.customerId, allowance.customerId),
            eq(loyaltyAllowances.holdId, allowance.holdId!),
            isNull(loyaltyAllowances.redeemedBy),
            notYetRecorded(transaction.transactionId),
          ),
        );
      return this.#outbox.record(withHold(transaction, allowance.holdId!), terminalTrace, [markUsed]);
    }
    if (this.#policy === "refuse") {
      throw new AppError(
        "redemption_not_covered",
        `The store may approve ${redeemable} points for this customer now, not ${redeem.points}: complete the sale without the redemption, or look the customer up again while online`,
        { points: redeem.points, redeemableOffline: redeemable },
      );
    }
    return this.#outbox.record(withHold(transaction, undefined), terminalTrace);
  }
}

/** The transaction with its redemption naming `holdId`, or no hold. */
function withHold(transaction: PosTransaction, holdId: string | undefined): PosTransaction {
  const { holdId: _terminals, ...redeem } = transaction.loyalty!.redeem!;
  return { ...transaction, loyalty: { ...transaction.loyalty, redeem: holdId === undefined ? redeem : { ...redeem, holdId } } };
}
