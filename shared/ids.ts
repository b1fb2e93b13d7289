const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

function randomToken(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const byte of bytes) out += alphabet[byte & 31];
  return out;
}

/**
 * A random identifier with a type prefix, e.g. `res_5k2m…`.
 *
 * @example
 * newId("res") // "res_0w3x9q2k4m6n8p1r3t5v"
 */
export function newId(prefix: string): string {
  return `${prefix}_${randomToken(20)}`;
}

/** The secret part of an API key: 40 characters from a 32-letter alphabet, 200 bits. */
export function newKeySecret(): string {
  return randomToken(40);
}

/**
 * API keys carry their tenant so the edge can find the tenant's registry
 * without a global index: `ssk_<tenant>_<secret>`. Tenant ids never contain `_`.
 */
export function formatApiKey(tenantId: string, secret: string): string {
  return `ssk_${tenantId}_${secret}`;
}

export function parseApiKey(key: string): { tenantId: string } | null {
  const match = /^ssk_([a-z0-9-]{1,40})_([0-9a-z]{40})$/.exec(key);
  return match ? { tenantId: match[1]! } : null;
}

/**
 * Partner keys carry their partner the same way: `ssp_<partner>_<secret>`,
 * so the edge finds the partner's object without a global index.
 */
export function formatPartnerKey(partnerId: string, secret: string): string {
  return `ssp_${partnerId}_${secret}`;
}

export function parsePartnerKey(key: string): { partnerId: string } | null {
  const match = /^ssp_([a-z0-9-]{1,40})_([0-9a-z]{40})$/.exec(key);
  return match ? { partnerId: match[1]! } : null;
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** JSON with object keys sorted, so equal values always serialize the same way. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}
