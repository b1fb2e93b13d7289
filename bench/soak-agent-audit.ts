import type { AgentStatus, PosTransactionRequest } from "../shared/schemas/store-agent.ts";
import { edgeOnHand, edgePosEntries, type SeededStore } from "../test-e2e/harness.ts";

/** A transaction the agent answered 2xx, and the sequence its receipt carried. */
export interface Acknowledged {
  transaction: PosTransactionRequest;
  sequence: number;
}

interface ExpectedLine {
  reference: string;
  type: string;
  delta: number;
}

/**
 * Everything that is wrong, as sentences; empty when the edge holds every
 * acknowledged line exactly once (ledger reference `pos:<id>:<line>`, type
 * and delta), no line of anything else, each SKU's onHand equals the seeded
 * figure moved by exactly those lines, and the agent's own account agrees
 * (receipts numbered 1..n without gaps, nothing pending or dead-lettered).
 */
export async function auditAgainstEdge(url: string, store: SeededStore, acknowledged: Acknowledged[], status: AgentStatus): Promise<string[]> {
  const problems: string[] = [];
  const n = acknowledged.length;
  if (status.backlog !== 0 || status.deadLetters !== 0) problems.push(`agent: backlog ${status.backlog}, dead letters ${status.deadLetters} after the drain`);
  if (status.lastSequence !== n) problems.push(`agent: last sequence ${status.lastSequence}, but ${n} transactions were acknowledged`);
  if (status.edgeHighWaterMark !== n || status.edgeGaps.length > 0) problems.push(`edge: high-water mark ${status.edgeHighWaterMark}, gaps ${JSON.stringify(status.edgeGaps)}, for ${n} acknowledged`);
  const sequences = acknowledged.map((a) => a.sequence).sort((a, b) => a - b);
  const misnumbered = sequences.findIndex((sequence, i) => sequence !== i + 1);
  if (misnumbered >= 0) problems.push(`agent: receipt sequences are not 1..${n} (the ${misnumbered + 1}th is ${sequences[misnumbered]})`);

  const expected = new Map<string, ExpectedLine[]>(Object.keys(store.initial).map((sku) => [sku, []]));
  for (const { transaction } of acknowledged) {
    transaction.lines.forEach((line, index) => {
      const list = expected.get(line.sku) ?? [];
      list.push({ reference: `pos:${transaction.transactionId}:${index + 1}`, type: `pos_${transaction.type}`, delta: transaction.type === "sale" ? -line.qty : line.qty });
      expected.set(line.sku, list);
    });
  }
  for (const [sku, lines] of expected) {
    const entries = await edgePosEntries(url, store.adminKey, sku);
    const want = new Map(lines.map((line) => [line.reference, line]));
    const seen = new Map<string, number>();
    for (const entry of entries) {
      const reference = entry.reference ?? "";
      seen.set(reference, (seen.get(reference) ?? 0) + 1);
      const line = want.get(reference);
      if (!line) problems.push(`${sku}: ledger entry ${reference} belongs to no acknowledged transaction`);
      else if (line.type !== entry.type || line.delta !== entry.delta) problems.push(`${sku}: ${reference} is ${entry.type} ${entry.delta}, acknowledged as ${line.type} ${line.delta}`);
    }
    const doubled = [...seen].filter(([, count]) => count > 1);
    if (doubled.length > 0) problems.push(`${sku}: applied more than once: ${doubled.slice(0, 5).map(([reference, count]) => `${reference} ×${count}`).join(", ")}${doubled.length > 5 ? ` and ${doubled.length - 5} more` : ""}`);
    const missing = lines.filter((line) => !seen.has(line.reference));
    if (missing.length > 0) problems.push(`${sku}: lost (acknowledged, not at the edge): ${missing.slice(0, 5).map((line) => line.reference).join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""}`);
    const expectedOnHand = (store.initial[sku] ?? 0) + lines.reduce((sum, line) => sum + line.delta, 0);
    const onHand = await edgeOnHand(url, store.adminKey, sku);
    if (onHand !== expectedOnHand) problems.push(`${sku}: onHand ${onHand} at the edge, ${expectedOnHand} by the acknowledged transactions`);
  }
  return problems;
}

