/**
 * Every event delivery carries `Shelfsync-Timestamp` (Unix seconds) and
 * `Shelfsync-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw body)>`.
 * Signing the timestamp with the body lets a receiver refuse an old
 * delivery replayed by someone who captured it.
 */

const encoder = new TextEncoder();

/**
 * The `Shelfsync-Signature` header value for `body` sent at `timestamp`.
 *
 * @example
 * await signEvent(secret, 1795461544, JSON.stringify(event)) // "sha256=5f0c…"
 */
export async function signEvent(secret: string, timestamp: number, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const digest = await crypto.subtle.sign("HMAC", key, encoder.encode(`${timestamp}.${body}`));
  return `sha256=${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
