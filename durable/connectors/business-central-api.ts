import { minorToDecimal } from "../../shared/money.ts";
import type { ExportedJournal } from "../../shared/journal-csv.ts";
import type { SalesDocument } from "../../shared/schemas/finance.ts";
import type { BusinessCentralConnectionSettings, BusinessCentralCredentials } from "../../shared/schemas/erp-connections.ts";
import { erpCall, fetchBearerToken, type BearerToken, type ErpAnswer } from "./erp-answer.ts";

/*
 * Business Central API v2.0 calls an ERP connection makes (REFERENCE.md §4):
 * a token from Microsoft Entra (client credentials), the journal batch
 * Shelfsync posts through, its lines, Microsoft.NAV.post, and the G/L
 * entries a posted document left. Lines go in JSON $batch requests of at most
 * 100 operations, with `Isolation: snapshot` so a batch applies whole or not
 * at all.
 */

/** Business Central takes at most this many operations in one $batch. */
export const maxBatchOperations = 100;

export function apiRootOf(settings: BusinessCentralConnectionSettings): string {
  return `${settings.baseUrl ?? "https://api.businesscentral.dynamics.com"}/v2.0/${settings.directoryId}/${settings.environment}/api/v2.0`;
}

export function fetchBusinessCentralToken(settings: BusinessCentralConnectionSettings, credentials: BusinessCentralCredentials, now: number): Promise<ErpAnswer<BearerToken>> {
  const tokenUrl = settings.tokenUrl ?? `https://login.microsoftonline.com/${settings.directoryId}/oauth2/v2.0/token`;
  return fetchBearerToken("Microsoft Entra", tokenUrl, { grant_type: "client_credentials", client_id: credentials.clientId, client_secret: credentials.clientSecret, scope: "https://api.businesscentral.dynamics.com/.default" }, now);
}

/**
 * The document number of a journal's lines and G/L entries: Business
 * Central's documentNumber holds at most 20 characters, fewer than an
 * external id, so "SS" and 18 hex digits of its SHA-256; the same journal
 * always has the same, so it finds what an earlier attempt left.
 *
 * @example
 * await documentNumberOf("JE-acme-2026-11-23-store-a-pos-0") // "SS3F1C…" (20 characters)
 */
export async function documentNumberOf(externalId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(externalId)));
  return `SS${[...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("").slice(0, 18).toUpperCase()}`;
}

/** A journal's lines as journalLines bodies: amount positive for a debit, negative for a credit; description at most 50 characters. */
export function journalLineBodies(journal: ExportedJournal, documentNumber: string): Record<string, unknown>[] {
  return journal.lines.map((line, index) => ({
    lineNumber: (index + 1) * 10_000,
    accountType: "G/L Account",
    accountNumber: line.account,
    postingDate: journal.date,
    documentNumber,
    externalDocumentNumber: documentNumber,
    amount: Number(minorToDecimal(line.debit > 0 ? line.debit : -line.credit, journal.currency)),
    description: line.memo.slice(0, 50),
    comment: journal.id.slice(0, 250),
  }));
}

/**
 * A sales document's lines as salesOrderLines bodies: Item lines, the SKU's
 * item number from `items` (else the SKU itself), `sequence` 10000, 20000,
 * … so that a retry finds which lines an earlier attempt made; the discount
 * as an amount.
 */
export function salesOrderLineBodies(document: SalesDocument, items: Record<string, string>): Record<string, unknown>[] {
  const money = (minor: number) => Number(minorToDecimal(minor, document.currency));
  return document.lines.map((line, index) => ({
    sequence: (index + 1) * 10_000,
    lineType: "Item",
    lineObjectNumber: items[line.sku] ?? line.sku,
    quantity: line.qty,
    unitPrice: money(line.unitPrice),
    discountAmount: money(line.discount),
  }));
}

export interface BatchOperation {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Relative to the API root, e.g. companies(<id>)/journals(<id>)/journalLines. */
  url: string;
  body?: unknown;
}

export interface BatchResponse {
  id: string;
  status: number;
  body?: unknown;
}

export class BusinessCentralApi {
  readonly root: string;
  readonly company: string;
  readonly settings: BusinessCentralConnectionSettings;
  readonly #token: string;

  constructor(settings: BusinessCentralConnectionSettings, token: string) {
    this.settings = settings;
    this.#token = token;
    this.root = apiRootOf(settings);
    this.company = `companies(${settings.companyId})`;
  }

  get<T>(path: string): Promise<ErpAnswer<T>> {
    return erpCall<T>("Business Central", `${this.root}/${path}`, { method: "GET", headers: this.headers() });
  }

  post<T>(path: string, body?: unknown): Promise<ErpAnswer<T>> {
    return erpCall<T>("Business Central", `${this.root}/${path}`, { method: "POST", headers: { ...this.headers(), "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  /** One JSON $batch of at most 100 operations, applied whole or not at all (Isolation: snapshot). */
  async batch(operations: BatchOperation[]): Promise<ErpAnswer<BatchResponse[]>> {
    if (operations.length > maxBatchOperations) throw new Error(`a $batch holds at most ${maxBatchOperations} operations, not ${operations.length}`);
    const answer = await erpCall<{ responses: BatchResponse[] }>("Business Central", `${this.root}/$batch`, {
      method: "POST",
      headers: { ...this.headers(), "content-type": "application/json", isolation: "snapshot" },
      body: JSON.stringify({
        requests: operations.map((operation, index) => ({ method: operation.method, id: String(index + 1), url: operation.url, headers: { "Content-Type": "application/json" }, ...(operation.body === undefined ? {} : { body: operation.body }) })),
      }),
    });
    return answer.ok ? { ok: true, data: answer.data?.responses ?? [] } : answer;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.#token}`, accept: "application/json" };
  }
}
