import { asc, eq } from "drizzle-orm";
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import type { AgentDatabase } from "./db/client.ts";
import { managers } from "./db/schema.ts";

export const managerIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const managerPinPattern = /^\d{4,12}$/;

/** scrypt's cost: about 50 ms here, paid once per approval; a PIN is short, so the hash must be slow. */
const cost: ScryptOptions = { N: 16_384, r: 8, p: 1 };
const keyLength = 32;

function derive(pin: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(pin, salt, keyLength, cost, (error, key) => (error ? reject(error) : resolve(key))));
}

/** `scrypt$16384$<salt>$<hash>`, base64url. */
async function hashPin(pin: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${cost.N}$${salt.toString("base64url")}$${(await derive(pin, salt)).toString("base64url")}`;
}

async function pinMatches(pin: string, stored: string): Promise<boolean> {
  const [scheme, n, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || Number(n) !== cost.N || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64url");
  const actual = await derive(pin, Buffer.from(salt, "base64url"));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A stored hash of no PIN anyone knows: an unknown manager costs the same scrypt as a known one. */
let decoy: Promise<string> | null = null;

export interface ManagerRecord {
  id: string;
  name: string;
  createdAt: number;
  updatedAt: number;
}

/**
 * Adds a manager, or sets the name and PIN of an existing one. Only the PIN's scrypt hash is stored.
 *
 * @example
 * await setManager(store, { id: "mgr-anna", name: "Anna", pin: "482913" }, Date.now());
 */
export async function setManager(store: AgentDatabase, manager: { id: string; name: string; pin: string }, now: number): Promise<void> {
  if (!managerIdPattern.test(manager.id)) throw new RangeError(`A manager id is letters, digits, ".", "_" or "-" (up to 64), not ${JSON.stringify(manager.id)}`);
  if (!managerPinPattern.test(manager.pin)) throw new RangeError("A PIN is 4 to 12 digits");
  const pinHash = await hashPin(manager.pin);
  await store.db
    .insert(managers)
    .values({ id: manager.id, name: manager.name, pinHash, createdAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: managers.id, set: { name: manager.name, pinHash, updatedAt: now } });
}

export async function removeManager(store: AgentDatabase, id: string): Promise<boolean> {
  const result = await store.db.delete(managers).where(eq(managers.id, id));
  return result.rowsAffected > 0;
}

export async function listManagers(store: AgentDatabase): Promise<ManagerRecord[]> {
  return store.db.select({ id: managers.id, name: managers.name, createdAt: managers.createdAt, updatedAt: managers.updatedAt }).from(managers).orderBy(asc(managers.id));
}

/** Whether `pin` is the PIN of manager `id`. */
export async function verifyManagerPin(store: AgentDatabase, id: string, pin: string): Promise<boolean> {
  const row = await store.db.select({ pinHash: managers.pinHash }).from(managers).where(eq(managers.id, id)).get();
  if (!row) {
    await pinMatches(pin, await (decoy ??= hashPin(randomBytes(16).toString("hex"))));
    return false;
  }
  return pinMatches(pin, row.pinHash);
}
