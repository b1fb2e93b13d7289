import type { KeyRole } from "../../shared/schemas/tenancy.ts";
import type { ExceptionPage, ExceptionRecord } from "../../shared/schemas/exceptions.ts";

/** What a key without the right to personal data reads in place of a raw payload. */
export const withheldBody = "[withheld: the payload as it arrived carries customer data (names, addresses, e-mail); a tenant admin key reads it]";

/**
 * An exception as a key of `role` may read it: a raw Shopify payload
 * (`webhook_unmapped`) carries the customer's name, address and e-mail, which
 * only tenant admins, who replay and resolve exceptions, need to see.
 */
export function forRole(record: ExceptionRecord, role: KeyRole): ExceptionRecord {
  if (role === "admin" || record.type !== "webhook_unmapped") return record;
  return { ...record, payload: { ...record.payload, body: withheldBody } };
}

export function pageForRole(page: ExceptionPage, role: KeyRole): ExceptionPage {
  return { ...page, exceptions: page.exceptions.map((record) => forRole(record, role)) };
}
