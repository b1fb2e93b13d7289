import { maskSecret } from "../shared/signatures.ts";
import { openCredentials, sealCredentials } from "./credentials.ts";

/**
 * One secret an object keeps to sign or verify with (a webhook secret),
 * sealed at rest like connection credentials (AES-256-GCM under
 * CONNECTION_CREDENTIALS_KEY, the owner as associated data, so a sealed value
 * copied into another object does not open), and kept opened in memory while
 * the object lives. A value stored in clear before sealing existed is used
 * as it is and handed back sealed, for the caller to store.
 *
 * @example
 * const secret = new SealedSecret(env, `event-webhook:${tenantId}`);
 * const stored = await secret.seal(input.secret); // store stored.sealed and stored.masked
 * const plain = await secret.open(row.secret, (sealed) => saveRow({ secret: sealed }));
 */
export class SealedSecret {
  private opened: { sealed: string; secret: string } | null = null;

  constructor(
    private readonly env: Env,
    private readonly owner: string,
  ) {}

  /** The value to store, and the secret as reads show it (its last four characters). */
  async seal(secret: string): Promise<{ sealed: string; masked: string }> {
    const sealed = await sealCredentials(this.env.CONNECTION_CREDENTIALS_KEY, this.owner, { secret });
    this.opened = { sealed, secret };
    return { sealed, masked: maskSecret(secret) };
  }

  /** The secret in `stored`; a clear legacy value is sealed and passed to `reseal` to be stored in its place. */
  async open(stored: string, reseal: (sealed: { sealed: string; masked: string }) => void): Promise<string> {
    if (this.opened?.sealed === stored) return this.opened.secret;
    if (!SealedSecret.isSealed(stored)) {
      reseal(await this.seal(stored));
      return stored;
    }
    const { secret } = await openCredentials<{ secret: string }>(this.env.CONNECTION_CREDENTIALS_KEY, this.owner, stored);
    this.opened = { sealed: stored, secret };
    return secret;
  }

  static isSealed(stored: string): boolean {
    return stored.startsWith("v1.");
  }
}
