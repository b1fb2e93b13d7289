/**
 * A connection's credentials at rest: AES-256-GCM under the Worker secret
 * `CONNECTION_CREDENTIALS_KEY` (32 random bytes, base64), a fresh 96-bit IV
 * for every seal, and the connection's object name as associated data, so a
 * sealed value copied into another connection does not open. Credentials are
 * opened only inside the connection's object, to sign its own calls.
 */

const encoder = new TextEncoder();
const version = "v1";

/** The secret as a CryptoKey; a missing or malformed secret is a deployment fault, not a request's. */
async function keyFrom(secret: string | undefined): Promise<CryptoKey> {
  let bytes: Uint8Array = new Uint8Array();
  try {
    if (secret) bytes = fromBase64(secret);
  } catch {
    // Not base64: refused below with the rest.
  }
  if (bytes.byteLength !== 32) throw new Error("CONNECTION_CREDENTIALS_KEY must be 32 random bytes, base64 (see .dev.vars.example)");
  return crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/**
 * @example
 * const sealed = await sealCredentials(env.CONNECTION_CREDENTIALS_KEY, "acme/shopify-main", { accessToken });
 * // "v1.<iv>.<ciphertext>": nothing of the token shows
 */
export async function sealCredentials(secret: string | undefined, owner: string, credentials: object): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(owner) }, await keyFrom(secret), encoder.encode(JSON.stringify(credentials)));
  return `${version}.${base64(iv)}.${base64(new Uint8Array(sealed))}`;
}

export async function openCredentials<T>(secret: string | undefined, owner: string, sealed: string): Promise<T> {
  const [tag, iv, data] = sealed.split(".");
  if (tag !== version || !iv || !data) throw new Error("sealed credentials of an unknown format");
  const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv), additionalData: encoder.encode(owner) }, await keyFrom(secret), fromBase64(data));
  return JSON.parse(new TextDecoder().decode(plain)) as T;
}
