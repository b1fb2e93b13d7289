/**
 * HMAC-SHA256 signatures on the wire: the ones Shelfsync puts on its event
 * deliveries and the ones Shopify puts on its webhooks. Web Crypto only, so
 * the edge and the store agent can both use them.
 */

const encoder = new TextEncoder();

async function hmacSha256(secret: string, message: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
}

/**
 * The `Shelfsync-Signature` header value for an event delivery of `body` sent
 * at `timestamp` (Unix seconds): `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`.
 * Signing the timestamp with the body lets a receiver refuse an old delivery
 * replayed by someone who captured it.
 *
 * @example
 * await signEvent(secret, 1795461544, JSON.stringify(event)) // "sha256=5f0c…"
 */
export async function signEvent(secret: string, timestamp: number, body: string): Promise<string> {
  const digest = await hmacSha256(secret, encoder.encode(`${timestamp}.${body}`));
  return `sha256=${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function base64ToBytes(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Whether `signature` (the `X-Shopify-Hmac-Sha256` header: base64 of
 * HMAC-SHA256(raw body, secret)) is Shopify's signature of `body`. The check
 * runs over the bytes exactly as they arrived: a body parsed and serialized
 * again would not be the bytes Shopify signed. The digests are compared in
 * constant time; only a header of the wrong length or alphabet is refused
 * early, which reveals nothing about the expected digest.
 *
 * @example
 * await verifyShopifySignature(secret, new Uint8Array(await request.arrayBuffer()), request.headers.get("x-shopify-hmac-sha256"))
 */
export async function verifyShopifySignature(secret: string, body: Uint8Array, signature: string | null | undefined): Promise<boolean> {
  if (!signature) return false;
  const given = base64ToBytes(signature.trim());
  if (!given || given.byteLength !== 32) return false;
  return equalInConstantTime(await hmacSha256(secret, body), given);
}

/** Compares every byte whatever the first difference, so the time taken says nothing about where it is. */
function equalInConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/**
 * How a stored secret is shown back: its last four characters only.
 *
 * @example
 * maskSecret("whsec_0123456789abcdef") // "••••••••cdef"
 */
export function maskSecret(secret: string): string {
  return `••••••••${secret.slice(-4)}`;
}
