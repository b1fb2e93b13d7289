import { asc, eq } from "drizzle-orm";
import { createHash, randomBytes, randomInt } from "node:crypto";
import type { AgentDatabase } from "./db/client.ts";
import { pairingCodes, terminals } from "./db/schema.ts";

/** A pairing code works this long after `terminals pair` printed it. */
export const pairingCodeTtlMs = 10 * 60 * 1000;

/** Crockford's base32: no I, L, O or U, so a code read aloud or off a screen is typed right. */
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const codeLength = 8;

export interface PairingCode {
  /** `7KQ2-M9XD`: 8 characters (40 bits), shown once. */
  code: string;
  name: string;
  expiresAt: number;
}

export interface PairedTerminal {
  terminalId: string;
  name: string;
  /** `spt_` and 256 random bits, base64url; the agent keeps only its SHA-256. */
  token: string;
}

export interface TerminalRecord {
  id: string;
  name: string;
  pairedAt: number;
  revokedAt: number | null;
}

export type TerminalAuthentication = { kind: "paired"; terminal: { id: string; name: string } } | { kind: "unknown" } | { kind: "revoked"; terminalId: string };

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Upper case, no separators, and the letters Crockford's alphabet reads as digits. */
export function normalizePairingCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
}

/**
 * A one-time pairing code for a terminal called `name`; only its hash is stored.
 *
 * @example
 * const { code } = await createPairingCode(store, "Till 2", Date.now()); // "7KQ2-M9XD"
 */
export async function createPairingCode(store: AgentDatabase, name: string, now: number): Promise<PairingCode> {
  const raw = Array.from({ length: codeLength }, () => codeAlphabet[randomInt(codeAlphabet.length)]).join("");
  const expiresAt = now + pairingCodeTtlMs;
  await store.db.insert(pairingCodes).values({ codeHash: sha256(raw), name, createdAt: now, expiresAt });
  return { code: `${raw.slice(0, 4)}-${raw.slice(4)}`, name, expiresAt };
}

/*
 * One write transaction: the code is marked used only if it is unused and
 * unexpired, and the terminal is inserted only from a code this very write
 * marked (its terminal_id), so a code pairs at most one terminal even when
 * two requests race with it.
 */
const useCode = `UPDATE pairing_codes SET used_at = ?, terminal_id = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ?`;
const insertTerminal = `
INSERT INTO terminals (id, name, token_hash, paired_at)
SELECT ?, name, ?, ? FROM pairing_codes WHERE code_hash = ? AND terminal_id = ?`;

/** Exchanges a pairing code for a new terminal and its token; null when the code is unknown, used or expired. */
export async function pairTerminal(store: AgentDatabase, code: string, now: number): Promise<PairedTerminal | null> {
  const codeHash = sha256(normalizePairingCode(code));
  const terminalId = `trm_${randomBytes(6).toString("hex")}`;
  const token = `spt_${randomBytes(32).toString("base64url")}`;
  const [, inserted] = await store.write([
    { sql: useCode, args: [now, terminalId, codeHash, now] },
    { sql: insertTerminal, args: [terminalId, sha256(token), now, codeHash, terminalId] },
  ]);
  if (!inserted || inserted.rowsAffected !== 1) return null;
  const row = await store.db.select({ name: terminals.name }).from(terminals).where(eq(terminals.id, terminalId)).get();
  return { terminalId, name: row!.name, token };
}

/**
 * Who holds this bearer token. Read from the database on every request, not
 * cached, so that a revocation (by the CLI, another process) counts from the
 * next request.
 */
export async function authenticateTerminal(store: AgentDatabase, token: string): Promise<TerminalAuthentication> {
  const row = await store.db
    .select({ id: terminals.id, name: terminals.name, revokedAt: terminals.revokedAt })
    .from(terminals)
    .where(eq(terminals.tokenHash, sha256(token)))
    .get();
  if (!row) return { kind: "unknown" };
  if (row.revokedAt !== null) return { kind: "revoked", terminalId: row.id };
  return { kind: "paired", terminal: { id: row.id, name: row.name } };
}

export async function listTerminals(store: AgentDatabase): Promise<TerminalRecord[]> {
  return store.db
    .select({ id: terminals.id, name: terminals.name, pairedAt: terminals.pairedAt, revokedAt: terminals.revokedAt })
    .from(terminals)
    .orderBy(asc(terminals.pairedAt), asc(terminals.id));
}

/** Revokes a terminal for good; false when there is no such terminal. Revoking twice keeps the first time. */
export async function revokeTerminal(store: AgentDatabase, terminalId: string, now: number): Promise<boolean> {
  const row = await store.db.select({ revokedAt: terminals.revokedAt }).from(terminals).where(eq(terminals.id, terminalId)).get();
  if (!row) return false;
  if (row.revokedAt === null) await store.db.update(terminals).set({ revokedAt: now }).where(eq(terminals.id, terminalId));
  return true;
}
