/**
 * Shopify signs every HTTPS webhook delivery with
 * `X-Shopify-Hmac-Sha256: base64(HMAC-SHA256(raw body, secret))`. The check
 * runs over the bytes exactly as they arrived: a body parsed and serialized
 * again would not be the bytes Shopify signed.
 */

const encoder = new TextEncoder();

async function hmacSha256(secret: string, body: Uint8Array): Promise<ArrayBuffer> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return crypto.subtle.sign("HMAC", key, body);
}

function base64ToBytes(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Whether `signature` (the header's value) is Shopify's signature of `body`
 * with `secret`. The digests are compared in constant time; only a header
 * of the wrong length or alphabet is refused early, which reveals nothing
 * about the expected digest.
 *
 * @example
 * await verifyShopifySignature(secret, new Uint8Array(await request.arrayBuffer()), request.headers.get("x-shopify-hmac-sha256"))
 */
export async function verifyShopifySignature(secret: string, body: Uint8Array, signature: string | null | undefined): Promise<boolean> {
  if (!signature) return false;
  const given = base64ToBytes(signature.trim());
  if (!given || given.byteLength !== 32) return false;
  const expected = new Uint8Array(await hmacSha256(secret, body));
  return crypto.subtle.timingSafeEqual(expected, given);
}
