import { createInterface } from "node:readline";
import { openAgentDatabase, type AgentDatabase } from "./db/client.ts";
import { DataDirConfig, parseConfig, type RawSettings } from "./env.ts";
import { databaseFile } from "./main.ts";
import { listManagers, managerIdPattern, managerPinPattern, removeManager, setManager } from "./managers.ts";
import { createPairingCode, listTerminals, pairingCodeTtlMs, revokeTerminal } from "./terminals.ts";

/** The variable a manager's PIN may come from (else it is read from standard input); never a flag. */
export const managerPinEnv = "SHELFSYNC_MANAGER_PIN";

export const adminUsage = `  terminals pair --name NAME     print a one-time pairing code for a terminal (valid ${pairingCodeTtlMs / 60_000} minutes)
  terminals list                 the paired terminals, revoked ones too
  terminals revoke TERMINAL_ID   refuse that terminal's token from its next request (works offline)
  managers set --id ID --name NAME   add a manager or change their PIN; the PIN from ${managerPinEnv} or standard input
  managers list                  the managers who may approve blind returns and negative tenders
  managers remove ID             that manager can approve nothing more`;

export interface AdminFlags {
  name?: string;
  id?: string;
  json: boolean;
}

class UsageError extends Error {
  override readonly name = "UsageError";
}

async function withStore<T>(raw: RawSettings, use: (store: AgentDatabase) => Promise<T>): Promise<T> {
  const { dataDir } = parseConfig(DataDirConfig, raw);
  const store = await openAgentDatabase(databaseFile(dataDir));
  try {
    return await use(store);
  } finally {
    store.close();
  }
}

const print = (text: string) => process.stdout.write(`${text}\n`);
const at = (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString());

async function readPin(): Promise<string> {
  const fromEnv = process.env[managerPinEnv];
  if (fromEnv) return fromEnv.trim();
  if (process.stdin.isTTY) process.stderr.write("PIN (4 to 12 digits): ");
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    lines.close();
    return line.trim();
  }
  return "";
}

/**
 * `shelfsync-agent terminals …` and `managers …`: they change agent.db
 * directly, so they work offline and while the agent runs (its next request
 * sees the change).
 *
 * @example
 * await adminCommand(["terminals", "pair"], { name: "Till 2", json: false }, raw);
 */
export async function adminCommand(positionals: string[], flags: AdminFlags, raw: RawSettings): Promise<number> {
  try {
    return await run(positionals, flags, raw);
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof RangeError)) throw error;
    process.stderr.write(`${error.message}\n\nUsage:\n${adminUsage}\n`);
    return 2;
  }
}

async function run([group, action, argument, ...extra]: string[], flags: AdminFlags, raw: RawSettings): Promise<number> {
  if (extra.length > 0) throw new UsageError(`Unexpected ${extra.join(" ")}`);
  const command = `${group} ${action ?? ""}`.trim();
  switch (command) {
    case "terminals pair": {
      const name = flags.name?.trim();
      if (!name || name.length > 64) throw new UsageError("terminals pair needs --name NAME (up to 64 characters), e.g. --name \"Till 2\"");
      const code = await withStore(raw, (store) => createPairingCode(store, name, Date.now()));
      if (flags.json) print(JSON.stringify({ ...code, expiresAt: at(code.expiresAt) }));
      else print(`Pairing code for ${JSON.stringify(name)}: ${code.code}\nValid once, until ${at(code.expiresAt)}. On the terminal: POST /pos/v1/terminals/pair {"code": "${code.code}"}`);
      return 0;
    }
    case "terminals list": {
      const rows = await withStore(raw, listTerminals);
      if (flags.json) print(JSON.stringify(rows.map((r) => ({ ...r, pairedAt: at(r.pairedAt), revokedAt: r.revokedAt === null ? null : at(r.revokedAt) }))));
      else print(rows.length === 0 ? "No terminals paired." : rows.map((r) => `${r.id}  ${r.name.padEnd(24)} paired ${at(r.pairedAt)}${r.revokedAt === null ? "" : `  REVOKED ${at(r.revokedAt)}`}`).join("\n"));
      return 0;
    }
    case "terminals revoke": {
      if (!argument) throw new UsageError("terminals revoke needs the terminal's id (terminals list shows it)");
      const found = await withStore(raw, (store) => revokeTerminal(store, argument, Date.now()));
      if (!found) {
        process.stderr.write(`No terminal ${argument}.\n`);
        return 1;
      }
      print(`Terminal ${argument} is revoked: the agent refuses its token from its next request.`);
      return 0;
    }
    case "managers set": {
      const id = flags.id ?? "";
      const name = flags.name?.trim() ?? "";
      if (!managerIdPattern.test(id) || !name) throw new UsageError("managers set needs --id ID (letters, digits, . _ -) and --name NAME");
      const pin = await readPin();
      if (!managerPinPattern.test(pin)) throw new UsageError(`The PIN (from ${managerPinEnv} or standard input) must be 4 to 12 digits`);
      await withStore(raw, (store) => setManager(store, { id, name, pin }, Date.now()));
      print(`Manager ${id} (${name}) may approve blind returns and negative tenders.`);
      return 0;
    }
    case "managers list": {
      const rows = await withStore(raw, listManagers);
      if (flags.json) print(JSON.stringify(rows.map((r) => ({ id: r.id, name: r.name, updatedAt: at(r.updatedAt) }))));
      else print(rows.length === 0 ? "No managers." : rows.map((r) => `${r.id.padEnd(20)} ${r.name.padEnd(24)} PIN set ${at(r.updatedAt)}`).join("\n"));
      return 0;
    }
    case "managers remove": {
      if (!argument) throw new UsageError("managers remove needs the manager's id");
      const found = await withStore(raw, (store) => removeManager(store, argument));
      if (!found) {
        process.stderr.write(`No manager ${argument}.\n`);
        return 1;
      }
      print(`Manager ${argument} removed.`);
      return 0;
    }
    default:
      throw new UsageError(`Unknown command ${JSON.stringify(command)}`);
  }
}
