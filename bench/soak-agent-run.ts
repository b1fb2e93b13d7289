import { createClient } from "@libsql/client";
import type { PosTransactionRequest } from "../shared/schemas/store-agent.ts";
import { databaseFile } from "../store-agent/main.ts";
import { pairTerminalViaCli } from "../store-agent/testing/agent-process.ts";
import { unusedPort, type TerminalCredentials } from "../store-agent/testing/fixtures.ts";
import { FlakyProxy, type FlakyAction } from "../test-e2e/flaky-proxy.ts";
import { EdgeHost, posTransaction, recordAtTerminal, seededRandom, seedStore, sleep, startAgentProcess, tempDir, waitForDrain, type AgentHandle, type Line } from "../test-e2e/harness.ts";
import { auditAgainstEdge, type Acknowledged } from "./soak-agent-audit.ts";

/** What the link between agent and edge does for a while; each maps to one proxy action. */
export type LinkMode = "up" | "cut" | "hang" | "drop-after-apply";
const linkModes: { mode: LinkMode; action: FlakyAction; weight: number }[] = [
  { mode: "up", action: "pass", weight: 0.4 },
  { mode: "cut", action: "drop", weight: 0.2 },
  { mode: "hang", action: "hang", weight: 0.2 },
  { mode: "drop-after-apply", action: "cut", weight: 0.2 },
];

export interface SoakOptions {
  kills: number;
  seed: number;
  terminals: number;
  /** A kill lands this long after the agent started listening, drawn uniformly. */
  killDelayMs: { min: number; max: number };
  /** The agent's --edge-timeout; the proxy's hang lasts 1.5 times as long. */
  edgeTimeoutSeconds: number;
  onKill?: (done: number, figures: SoakFigures) => void;
}

export interface SoakFigures {
  kills: number;
  acknowledged: number;
  byKind: Record<PosTransactionRequest["type"], number>;
  /** Sends of a transaction that had already been sent and got no answer (agent down or killed mid-request). */
  retries: number;
  /** Acknowledgements that came as 200 (Idempotent-Replayed): the first send had been stored before the kill. */
  answeredOnResend: number;
  modeMs: Record<LinkMode, number>;
  /** Pushes (POST …/transactions) through the proxy, by what the proxy did with them. */
  pushes: Record<FlakyAction, number>;
  /** Pushes the edge applied (200) whose answer the proxy then withheld. */
  appliedThenDropped: number;
  /** Outbox rows settled by the edge's `duplicate`: applied by an earlier push whose answer the agent never got. */
  settledAsDuplicate: number;
  /** POS ledger lines the audit matched against the edge. */
  ledgerLines: number;
  durationMs: number;
}

export interface SoakResult {
  figures: SoakFigures;
  /** Empty when every acknowledged transaction is at the edge exactly once and nothing else is. */
  problems: string[];
}

const skus = ["TEE-RED-M", "JEANS-32", "CAP-BLK", "SOCKS-3PK", "BELT-BRN"];
const isPush = (r: { method: string; path: string }) => r.method === "POST" && r.path.endsWith("/transactions");

/**
 * A real edge (Miniflare), a seeded store, a real agent process behind a
 * flaky proxy whose mode changes at random, and terminals that sell, return
 * and void. The agent is SIGKILLed `kills` times, each at a random moment,
 * and restarted on its data dir and port; terminals resend what got no
 * answer. Then the link comes up, the backlog drains, and every acknowledged
 * transaction is audited against the edge's ledger and stock.
 */
export async function runAgentSoak(options: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const random = seededRandom(options.seed);
  const edgeDir = tempDir("soak-edge");
  const agentDir = tempDir("soak-agent");
  const edge = new EdgeHost(edgeDir.dir);
  let proxy: FlakyProxy | undefined;
  let agent: AgentHandle | null = null;
  const figures: SoakFigures = {
    kills: 0,
    acknowledged: 0,
    byKind: { sale: 0, return: 0, void: 0 },
    retries: 0,
    answeredOnResend: 0,
    modeMs: { up: 0, cut: 0, hang: 0, "drop-after-apply": 0 },
    pushes: { pass: 0, drop: 0, hang: 0, delay: 0, cut: 0, truncate: 0 },
    appliedThenDropped: 0,
    settledAsDuplicate: 0,
    ledgerLines: 0,
    durationMs: 0,
  };
  const problems: string[] = [];
  const acknowledged = new Map<string, Acknowledged>();
  let selling = true;
  let abandoned = false;
  let linkSwitching = true;
  try {
    await edge.start();
    const store = await seedStore(edge.url, Object.fromEntries(skus.map((sku) => [sku, 1_000_000])));
    let mode = linkModes[0]!;
    const hangMs = options.edgeTimeoutSeconds * 1500;
    proxy = await FlakyProxy.start({ target: edge.url, schedule: () => ({ action: mode.action, delayMs: hangMs }) });
    const link = proxy;
    const agentPort = await unusedPort();
    const startAgent = async (): Promise<AgentHandle> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await startAgentProcess({ edgeUrl: link.url, storeKey: store.storeKey, dataDir: agentDir.dir, port: agentPort, edgeTimeoutSeconds: options.edgeTimeoutSeconds });
        } catch (error) {
          // The killed process's port can take a moment to be free again; anything else fails the soak.
          if (attempt >= 5 || !/EADDRINUSE/.test(String(error))) throw error;
          await sleep(100 * attempt);
        }
      }
    };
    agent = await startAgent();
    const tills: TerminalCredentials[] = [{ url: agent.url, token: agent.token }];
    while (tills.length < options.terminals) tills.push(await pairTerminalViaCli(agent.url, agentDir.dir, `Soak till ${tills.length + 1}`));

    // The link's mode changes every 0.2-3 s, so modes outlive several agent lives and some hangs outlast the agent's timeout.
    const switcher = (async () => {
      let since = Date.now();
      while (linkSwitching) {
        await sleep(200 + random() * 2_800);
        const now = Date.now();
        figures.modeMs[mode.mode] += now - since;
        since = now;
        let roll = random();
        mode = linkModes.find((m) => (roll -= m.weight) < 0) ?? linkModes[0]!;
      }
      figures.modeMs[mode.mode] += Date.now() - since;
    })();

    const terminal = async (till: TerminalCredentials, index: number) => {
      const own = seededRandom(options.seed + index + 1);
      const terminalId = `T${String(index + 1).padStart(2, "0")}`;
      // This terminal's acknowledged sales not yet returned or voided: a return or void names one, so no manager is needed.
      const openSales: PosTransactionRequest[] = [];
      let number = 0;
      let current: PosTransactionRequest | null = null;
      let sent = false;
      while (!abandoned) {
        if (!current) {
          if (!selling) return;
          current = nextTransaction(`${terminalId}-${String(++number).padStart(7, "0")}`, terminalId, own, openSales);
          sent = false;
        }
        if (sent) figures.retries += 1;
        sent = true;
        try {
          const answer = await recordAtTerminal(till, current);
          if (answer.status === 201 || answer.status === 200) {
            if (answer.status === 200) figures.answeredOnResend += 1;
            if (acknowledged.has(current.transactionId)) problems.push(`${current.transactionId}: acknowledged twice`);
            acknowledged.set(current.transactionId, { transaction: current, sequence: answer.body.sequence });
            figures.acknowledged += 1;
            figures.byKind[current.type] += 1;
            if (current.type === "sale") openSales.push(current);
            current = null;
            await sleep(own() * 20);
          } else {
            problems.push(`${current.transactionId}: the agent answered ${answer.status} ${JSON.stringify(answer.body)}`);
            current = null;
          }
        } catch {
          // No answer: the agent is down or died mid-request. The same transaction again, unchanged.
          await sleep(20 + own() * 40);
        }
      }
    };
    const terminals = tills.map((till, index) => terminal(till, index));

    try {
      for (let kill = 1; kill <= options.kills; kill++) {
        await sleep(options.killDelayMs.min + random() * (options.killDelayMs.max - options.killDelayMs.min));
        await agent.kill();
        agent = null;
        figures.kills = kill;
        agent = await startAgent();
        options.onKill?.(kill, figures);
      }
      selling = false;
      // Each terminal ends once its last transaction is answered; a minute is far more than the agent needs.
      const giveUp = new Promise<void>((resolve) => setTimeout(resolve, 60_000).unref());
      await Promise.race([Promise.all(terminals), giveUp]);
    } finally {
      abandoned = true;
      linkSwitching = false;
    }
    await switcher;
    link.clean = true;
    const status = await waitForDrain(agent, 180_000);
    figures.settledAsDuplicate = await settledAsDuplicate(agentDir.dir);
    for (const request of link.requests) {
      if (!isPush(request)) continue;
      figures.pushes[request.action] += 1;
      if (request.action === "cut" && request.upstreamStatus === 200) figures.appliedThenDropped += 1;
    }
    figures.ledgerLines = [...acknowledged.values()].reduce((sum, a) => sum + a.transaction.lines.length, 0);
    problems.push(...(await auditAgainstEdge(edge.url, store, [...acknowledged.values()], status)));
  } finally {
    abandoned = true;
    linkSwitching = false;
    try {
      await agent?.stop();
      await proxy?.close();
      await edge.stop();
    } finally {
      edgeDir.remove();
      agentDir.remove();
    }
  }
  figures.durationMs = Date.now() - started;
  return { figures, problems };
}

/** A sale most of the time; sometimes a return of one unit of an open sale, or a void of a whole one. */
function nextTransaction(transactionId: string, terminalId: string, own: () => number, openSales: PosTransactionRequest[]): PosTransactionRequest {
  const roll = own();
  if (openSales.length > 0 && roll < 0.25) {
    const original = openSales.splice(Math.floor(own() * openSales.length), 1)[0]!;
    if (roll < 0.15) {
      const line = original.lines[0]!;
      return { ...withoutApproval(posTransaction(transactionId, terminalId, [{ sku: line.sku, qty: 1 }], "return")), returnsTransactionId: original.transactionId, tenders: [{ type: "card", amount: -1999 }] };
    }
    const lines: Line[] = original.lines.map((line) => ({ sku: line.sku, qty: line.qty }));
    const refund = -original.tenders.reduce((sum, tender) => sum + tender.amount, 0);
    return { ...withoutApproval(posTransaction(transactionId, terminalId, lines, "void")), voidsTransactionId: original.transactionId, tenders: [{ type: "card", amount: refund }] };
  }
  const lines = Array.from({ length: 1 + Math.floor(own() * 3) }, () => ({ sku: skus[Math.floor(own() * skus.length)]!, qty: 1 + Math.floor(own() * 3) }));
  return posTransaction(transactionId, terminalId, lines, "sale");
}

/** posTransaction's return or void without the manager's approval: the original sale covers it. */
function withoutApproval(transaction: PosTransactionRequest): PosTransactionRequest {
  const { approval: _approval, ...rest } = transaction;
  return rest;
}

/** Outbox rows the edge answered `duplicate`: it had applied them from a push whose answer was lost. */
async function settledAsDuplicate(dataDir: string): Promise<number> {
  const reader = createClient({ url: `file:${databaseFile(dataDir)}` });
  try {
    const result = await reader.execute("SELECT count(*) AS n FROM outbox WHERE edge_status = 'duplicate'");
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    reader.close();
  }
}
