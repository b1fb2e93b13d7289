import { describe, expect, it } from "vitest";
import { paidAmount, pointsFor, posLoyalty } from "../shared/loyalty-earning.ts";
import { defaultLoyaltySettings } from "../shared/schemas/loyalty.ts";
import { PosTransaction } from "../shared/schemas/store-transactions.ts";

const sale = PosTransaction.parse({
  transactionId: "T01-1",
  terminalId: "T01",
  type: "sale",
  currency: "USD",
  customerId: "LOY-1",
  lines: [
    { sku: "SHIRT", qty: 2, unitPrice: 2_000, discount: 500 },
    { sku: "GIFT-CARD", qty: 1, unitPrice: 5_000 },
  ],
  loyalty: { redeem: { points: 30, holdId: "hld_1" } },
  occurredAt: "2026-12-01T10:00:00Z",
});

describe("points a POS transaction earns and reverses", () => {
  it("earns on what the lines paid net of discounts, rounded down per sale, leaving excluded SKUs out", () => {
    expect(paidAmount(sale.lines)).toBe(8_500);
    expect(paidAmount(sale.lines, ["GIFT-CARD"])).toBe(3_500);
    expect(pointsFor(3_599, "USD", 1)).toBe(35);
    expect(pointsFor(1_000, "JPY", 0.1)).toBe(100);
    expect(pointsFor(1_000, "USD", 0)).toBe(0);
    const effects = posLoyalty("store-a", sale, null, { ...defaultLoyaltySettings, pointsPerUnit: 2, excludedSkus: ["GIFT-CARD"] });
    expect(effects).toEqual({
      customerId: "LOY-1",
      actions: [
        { kind: "redeem", points: 30, holdId: "hld_1", sourceKey: "pos:store-a:T01-1:redeem" },
        { kind: "earn", points: 70, sourceKey: "pos:store-a:T01-1:earn" },
      ],
    });
  });

  it("a store with a rate of its own earns at that rate; a rate of 0 earns nothing there", () => {
    const settings = { ...defaultLoyaltySettings, pointsPerUnit: 1, excludedSkus: ["GIFT-CARD"], storeRates: { "store-b": 3, "store-c": 0 } };
    const earning = (location: string) => posLoyalty(location, sale, null, settings)?.actions.find((action) => action.kind === "earn")?.points ?? 0;
    expect([earning("store-a"), earning("store-b"), earning("store-c")]).toEqual([35, 105, 0]);
  });

  it("a return undoes its share of the sale's earning and redemption, for the sale's customer; a void undoes all", () => {
    const settings = { ...defaultLoyaltySettings, excludedSkus: ["GIFT-CARD"] };
    const partial = PosTransaction.parse({ ...sale, transactionId: "T01-2", type: "return", customerId: undefined, loyalty: undefined, returnsTransactionId: "T01-1", lines: [{ sku: "SHIRT", qty: 1, unitPrice: 2_000, discount: 250 }] });
    expect(posLoyalty("store-a", partial, sale, settings)).toEqual({
      customerId: "LOY-1",
      actions: [
        { kind: "reverseEarning", earningKey: "pos:store-a:T01-1:earn", part: 1_750, whole: 3_500, sourceKey: "pos:store-a:T01-2:reverse-earn" },
        { kind: "reverseRedemption", redemptionKey: "pos:store-a:T01-1:redeem", part: 1_750, whole: 8_500, sourceKey: "pos:store-a:T01-2:reverse-redeem" },
      ],
    });
    const voided = PosTransaction.parse({ ...sale, transactionId: "T01-3", type: "void", loyalty: undefined, voidsTransactionId: "T01-1" });
    expect(posLoyalty("store-a", voided, sale, settings)!.actions.map((action) => "part" in action && action.part / action.whole)).toEqual([1, 1]);
    // A return whose sale this store does not know moves no points.
    expect(posLoyalty("store-a", partial, null, settings)).toBeNull();
  });

  it("refuses a redemption without a customer, or on anything but a sale", () => {
    const noCustomer = PosTransaction.safeParse({ ...sale, customerId: undefined });
    expect(noCustomer.success).toBe(false);
    expect(noCustomer.error!.issues[0]!.path).toEqual(["loyalty"]);
    const onReturn = PosTransaction.safeParse({ ...sale, type: "return" });
    expect(onReturn.error!.issues[0]!.path).toEqual(["loyalty", "redeem"]);
  });
});
