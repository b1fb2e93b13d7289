/*
 * The external id of an order's sales document, and the forms the ERPs take
 * it in (decision 0027).
 *
 * Shelfsync's id is the order's idempotency key, `<channel>:<channel order
 * id>`, the contribution's `externalId`: the order's first document carries
 * it as it is, its n-th (n ≥ 2, a later partial fulfilment) `~<n>` after it.
 * n is the count of the order's documents when the ledger books it, stored
 * with the document in the same transaction, so a retry of the event (which
 * the ledger skips by key) never gives it another. '~' is in neither the
 * channel nor the external id character set, so the suffix is unambiguous.
 */

/**
 * @example
 * salesDocumentIdOf("web", "SHOP-10042", 1) // "web:SHOP-10042"
 * salesDocumentIdOf("web", "SHOP-10042", 2) // "web:SHOP-10042~2"
 */
export function salesDocumentIdOf(channel: string, channelOrderId: string, sequence: number): string {
  return sequence <= 1 ? `${channel}:${channelOrderId}` : `${channel}:${channelOrderId}~${sequence}`;
}

/**
 * NetSuite's form: its external ids hold letters, digits, '_' and '-' only
 * (Oracle, "Using External IDs"), so every other character, and '_' itself,
 * becomes '_' and its two hex digits: one-to-one, so two documents never
 * share one.
 *
 * @example
 * netsuiteExternalIdOf("web:SHOP-10042~2") // "web_3ASHOP-10042_7E2"
 */
export function netsuiteExternalIdOf(id: string): string {
  return id.replace(/[^A-Za-z0-9-]/g, (character) => `_${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/** Business Central's externalDocumentNumber holds at most 35 characters (Code[35]: upper-cased). */
export const businessCentralExternalDocumentLength = 35;

/**
 * Business Central's form: at most 35 characters, which BC upper-cases. So
 * the id upper-cased, cut to 26 characters, then '-' and 8 hex digits of
 * the SHA-256 of the id as it is: readable, the same every time, and two
 * ids that differ only in case or after the 26th character still get two.
 *
 * @example
 * await businessCentralDocumentNumberOf("web:SHOP-10042") // "WEB:SHOP-10042-1A2B3C4D"
 */
export async function businessCentralDocumentNumberOf(id: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(id)));
  const hash = [...digest.slice(0, 4)].map((byte) => byte.toString(16).padStart(2, "0")).join("").toUpperCase();
  return `${id.toUpperCase().slice(0, businessCentralExternalDocumentLength - 9)}-${hash}`;
}
