import { isTimeZone } from "./business-day.ts";
import { fail, type Failure } from "./errors.ts";
import type { Posting } from "./finance-postings.ts";
import { clearingTenderTypes, tenderTypes, type FinanceSettings } from "./schemas/finance.ts";

/** The single accounts every journal line kind but tax, tenders and channels posts to. */
const singleAccounts = ["grossSales", "discounts", "returns", "shippingIncome", "giftCardLiability", "overShort", "fees"] as const;

/**
 * Checks a tenant's finance settings as a whole: a time zone Intl knows, an
 * account for every line kind a journal can hold (tax payable for the
 * default title, clearing for cash and card, a default channel clearing),
 * and no tender type that POS transactions do not have. Null when they hold.
 */
export function checkFinanceSettings(settings: FinanceSettings): Failure | null {
  if (!isTimeZone(settings.timeZone)) return fail("validation_failed", `timeZone: ${settings.timeZone} is not an IANA time zone`, { field: "timeZone" });
  const { accounts } = settings;
  const unknown = Object.keys(accounts.tenderClearing ?? {}).filter((type) => !(clearingTenderTypes as readonly string[]).includes(type));
  if (unknown.length > 0) {
    const hint = unknown.includes("gift_card") ? " (a gift card redeemed debits giftCardLiability)" : "";
    return fail("unknown_tender_type", `tenderClearing names tender types POS transactions do not have: ${unknown.join(", ")}; known: ${clearingTenderTypes.join(", ")}${hint}`, {
      unknown,
      known: [...tenderTypes],
    });
  }
  const missing: string[] = singleAccounts.filter((name) => accounts[name] === undefined).map((name) => `accounts.${name}`);
  if (accounts.taxPayable?.[settings.defaultTaxTitle] === undefined) missing.push(`accounts.taxPayable.${settings.defaultTaxTitle}`);
  for (const type of clearingTenderTypes) if (accounts.tenderClearing?.[type] === undefined) missing.push(`accounts.tenderClearing.${type}`);
  if (accounts.channelClearing?.default === undefined) missing.push("accounts.channelClearing.default");
  if (missing.length > 0) {
    return fail("account_mapping_incomplete", `Every journal line needs an account, or debits could not equal credits; missing: ${missing.join(", ")}`, { missing });
  }
  return null;
}

/** The accounts a settlement posts to beyond those every journal needs; optional until settlements are imported. */
export const settlementAccounts = ["bank", "reserves", "settlementAdjustments"] as const;

/**
 * Checks that settings carry the settlement accounts (bank, reserves,
 * settlement adjustments) on top of a complete mapping. Null when they do.
 * They are not required of every tenant, so mappings stored before
 * settlements existed stay complete.
 */
export function checkSettlementAccounts(settings: FinanceSettings): Failure | null {
  const missing = settlementAccounts.filter((name) => settings.accounts[name] === undefined).map((name) => `accounts.${name}`);
  if (missing.length === 0) return null;
  return fail("account_mapping_incomplete", `Settlements post to the bank, reserves and settlement adjustments accounts; missing: ${missing.join(", ")}`, { missing });
}

/** The account a line posts to under checked settings (a tax title without its own account posts to the default title's). */
export function accountOf(settings: FinanceSettings, line: Pick<Posting, "kind" | "detail">): string {
  const { accounts } = settings;
  const account = (() => {
    switch (line.kind) {
      case "gross_sales":
        return accounts.grossSales;
      case "discounts":
        return accounts.discounts;
      case "returns":
        return accounts.returns;
      case "shipping_income":
        return accounts.shippingIncome;
      case "gift_card_liability":
        return accounts.giftCardLiability;
      case "over_short":
        return accounts.overShort;
      case "fees":
        return accounts.fees;
      case "tax_payable":
        return accounts.taxPayable?.[line.detail ?? settings.defaultTaxTitle] ?? accounts.taxPayable?.[settings.defaultTaxTitle];
      case "tender_clearing":
        return accounts.tenderClearing?.[line.detail ?? ""];
      case "channel_clearing":
        return accounts.channelClearing?.byChannel[line.detail ?? ""] ?? accounts.channelClearing?.default;
      case "bank":
        return accounts.bank;
      case "reserves":
        return accounts.reserves;
      case "settlement_adjustments":
        return accounts.settlementAdjustments;
      case "settlement_suspense":
        return accounts.overShort;
    }
  })();
  // checkFinanceSettings guarantees every kind an account before settings are stored.
  if (account === undefined) throw new Error(`no account for ${line.kind}${line.detail ? `:${line.detail}` : ""}`);
  return account;
}
