import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PosTransaction } from "../../shared/schemas/store-transactions.ts";
import { openAgentDatabase, type AgentDatabase } from "../db/client.ts";
import type { AgentConfig } from "../env.ts";
import { databaseFile } from "../main.ts";
import { bindLocation } from "../agent-state.ts";
import { createPairingCode } from "../terminals.ts";

export const location = "store-001";
export const storeKey = "ssk_acme_0123456789abcdefghjkmnpqrstvwxyz012345";

/** A temporary data dir, removed by the returned function. */
export function tempDataDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "shelfsync-agent-test-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A port nothing listens on (it was free a moment ago): connections to it are refused. */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * An agent's configuration for tests. The terminal rate is far above the
 * default (10/s, burst 50) because tests fire sales back to back; the rate
 * limit has its own test (security-terminals.test.ts).
 */
export function agentConfig(dataDir: string, edgeUrl: string, overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    edgeUrl,
    storeKey,
    location,
    dataDir,
    port: 0,
    host: "127.0.0.1",
    allowedHosts: [],
    terminalRatePerSecond: 100_000,
    terminalBurst: 100_000,
    pullIntervalSeconds: 3600,
    healthIntervalSeconds: 3600,
    maxBackoffSeconds: 1,
    edgeTimeoutSeconds: 30,
    loyaltyHoldCap: 500,
    offlineRedemption: "refuse",
    ...overrides,
  };
}

/** A terminal's credentials: the agent's URL and the token it got at pairing. */
export interface TerminalCredentials {
  url: string;
  token: string;
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** Exchanges a pairing code at the agent, as a terminal does; throws unless it is paired. */
export async function exchangePairingCode(agentUrl: string, code: string): Promise<TerminalCredentials> {
  const answer = await postJson(`${agentUrl}/pos/v1/terminals/pair`, { code });
  if (answer.status !== 201) throw new Error(`pairing failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return { url: agentUrl, token: String(answer.body.token) };
}

/** Pairs a terminal with an agent running in this process (the code made as the CLI makes it). */
export async function pairInProcess(agent: { url: string; store: AgentDatabase }, name = "Till 1"): Promise<TerminalCredentials> {
  const { code } = await createPairingCode(agent.store, name, Date.now());
  return exchangePairingCode(agent.url, code);
}

/** The agent's database in `dir`, bound to the test location. */
export async function openBoundDatabase(dir: string): Promise<AgentDatabase> {
  const store = await openAgentDatabase(databaseFile(dir));
  await bindLocation(store, location, Date.now());
  return store;
}

/** A valid sale as a terminal sends it (before defaults). */
export function sale(transactionId: string, overrides: Partial<PosTransaction> = {}): PosTransaction {
  return {
    transactionId,
    terminalId: "T01",
    type: "sale",
    currency: "USD",
    lines: [{ sku: "TSHIRT-RED-M", qty: 1, unitPrice: 1999, discount: 0, tax: 160 }],
    tenders: [{ type: "card", amount: 2159 }],
    occurredAt: "2026-11-23T10:00:00.000Z",
    ...overrides,
  };
}

/** `count` sales with ids `${prefix}-000001`… */
export function sales(count: number, prefix = "T01"): PosTransaction[] {
  return Array.from({ length: count }, (_, i) => sale(`${prefix}-${String(i + 1).padStart(6, "0")}`));
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
