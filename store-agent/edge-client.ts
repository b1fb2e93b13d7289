import type { z } from "zod";
import { sha256Hex } from "../shared/ids.ts";
import { StoreFeedPage } from "../shared/schemas/catalog.ts";
import { Customer, CustomerList } from "../shared/schemas/customers.ts";
import { LoyaltyAccount, LoyaltyHold, type CreateHoldRequest } from "../shared/schemas/loyalty.ts";
import { StoreHealth, type StoreHealthReport } from "../shared/schemas/store-health.ts";
import { StoreTransactionBatchResult } from "../shared/schemas/store-transactions.ts";
import type { OutboxEntry } from "./outbox.ts";

/**
 * How a call to the edge ended. `unavailable` is worth retrying as it is
 * (network, timeout, 5xx, 429, an answer that is not the contract);
 * `refused` is a 4xx problem about the whole request (bad key, another
 * store's location, too large), which retrying unchanged will not fix.
 */
export type EdgeOutcome<T> =
  | { kind: "ok"; value: T }
  | { kind: "unavailable"; reason: string; status?: number; retryAfterMs?: number }
  | { kind: "refused"; status: number; code: string; detail: string };

export interface EdgeClientOptions {
  edgeUrl: string;
  storeKey: string;
  location: string;
  /** Per request, including reading the answer. */
  timeoutMs?: number;
}

/**
 * The agent's calls to the edge: push a batch of transactions, pull a page
 * of the store feed, report the store's health, and look customers up and
 * hold their points for the till.
 */
export class EdgeClient {
  readonly #root: string;
  readonly #base: string;
  readonly #storeKey: string;
  readonly #location: string;
  readonly #timeoutMs: number;

  constructor(options: EdgeClientOptions) {
    this.#root = options.edgeUrl.replace(/\/+$/, "");
    this.#base = `${this.#root}/v1/stores/${encodeURIComponent(options.location)}`;
    this.#storeKey = options.storeKey;
    this.#location = options.location;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * POSTs the entries, in order, as one StoreTransactionBatch. The
   * Idempotency-Key is derived from the batch itself, so a batch sent again
   * after a lost answer carries the same key.
   */
  async push(entries: OutboxEntry[], signal?: AbortSignal): Promise<EdgeOutcome<StoreTransactionBatchResult>> {
    const body = `{"transactions":[${entries.map((e) => `{"sequence":${e.sequence},${traceFields(e)}"transaction":${e.body}}`).join(",")}]}`;
    const first = entries[0]!.sequence;
    const last = entries[entries.length - 1]!.sequence;
    const digest = (await sha256Hex(body)).slice(0, 16);
    const outcome = await this.#call(`${this.#base}/transactions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "idempotency-key": `store-batch-${this.#location}-${first}-${last}-${digest}`,
      },
      body,
      signal,
    });
    const result = parsed(outcome, StoreTransactionBatchResult, "StoreTransactionBatchResult");
    if (result.kind === "ok" && result.value.location !== this.#location) return { kind: "unavailable", reason: `the edge answered for location ${result.value.location}` };
    return result;
  }

  /** GETs one page of the store's feed after `cursor` (from the start when null). */
  async pull(cursor: string | null, signal?: AbortSignal): Promise<EdgeOutcome<StoreFeedPage>> {
    const query = cursor === null ? "" : `?cursor=${encodeURIComponent(cursor)}`;
    return this.#get(`${this.#base}/feed${query}`, StoreFeedPage, "StoreFeedPage", signal);
  }

  /** POSTs the store's health (the edge marks a store offline when these stop). */
  async reportHealth(report: StoreHealthReport, signal?: AbortSignal): Promise<EdgeOutcome<StoreHealth>> {
    const outcome = await this.#call(`${this.#base}/health`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(report), signal });
    return parsed(outcome, StoreHealth, "StoreHealth");
  }

  /** The customers holding this loyalty id (a merged one answered as the customer it was merged into). */
  async customersByLoyaltyId(loyaltyId: string, signal?: AbortSignal): Promise<EdgeOutcome<CustomerList>> {
    return this.#get(`${this.#root}/v1/customers?loyaltyId=${encodeURIComponent(loyaltyId)}`, CustomerList, "CustomerList", signal);
  }

  /** The customers with this email or phone (as the edge reads it, with the tenant's defaultCountry), each as the customer it was merged into, oldest first. */
  async customersByContact(contact: { email: string } | { phone: string }, signal?: AbortSignal): Promise<EdgeOutcome<CustomerList>> {
    const [name, value] = "email" in contact ? ["email", contact.email] : ["phone", contact.phone];
    return this.#get(`${this.#root}/v1/customers?${name}=${encodeURIComponent(value)}`, CustomerList, "CustomerList", signal);
  }

  /** One customer by id (merged or erased ones too; contact masked for a store key). */
  async customer(customerId: string, signal?: AbortSignal): Promise<EdgeOutcome<Customer>> {
    return this.#get(`${this.#root}/v1/customers/${encodeURIComponent(customerId)}`, Customer, "Customer", signal);
  }

  /** A customer's points: balance, held, available and active holds (the ledger's first entry only). */
  async loyaltyAccount(customerId: string, signal?: AbortSignal): Promise<EdgeOutcome<LoyaltyAccount>> {
    return this.#get(`${this.#root}/v1/customers/${encodeURIComponent(customerId)}/loyalty?limit=1`, LoyaltyAccount, "LoyaltyAccount", signal);
  }

  /** Locks some of a customer's points for this store; the same `idempotencyKey` sent again answers the same hold. */
  async placeLoyaltyHold(customerId: string, request: CreateHoldRequest, idempotencyKey: string, signal?: AbortSignal): Promise<EdgeOutcome<LoyaltyHold>> {
    const outcome = await this.#call(`${this.#root}/v1/customers/${encodeURIComponent(customerId)}/loyalty/holds`, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": idempotencyKey },
      body: JSON.stringify(request),
      signal,
    });
    return parsed(outcome, LoyaltyHold, "LoyaltyHold");
  }

  async #get<T>(url: string, schema: z.ZodType<T>, name: string, signal?: AbortSignal): Promise<EdgeOutcome<T>> {
    return parsed(await this.#call(url, { method: "GET", signal }), schema, name);
  }

  async #call(url: string, init: { method: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }): Promise<EdgeOutcome<unknown>> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { ...init, headers: { ...init.headers, authorization: `Bearer ${this.#storeKey}` }, signal });
      text = await response.text();
    } catch (error) {
      return { kind: "unavailable", reason: describeFetchError(error) };
    }
    if (response.status === 429 || response.status >= 500) {
      return { kind: "unavailable", reason: `the edge answered ${response.status}`, status: response.status, retryAfterMs: retryAfter(response.headers.get("retry-after")) };
    }
    const body = parseJson(text);
    if (response.status >= 400) {
      const problem = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
      return {
        kind: "refused",
        status: response.status,
        code: typeof problem.code === "string" ? problem.code : `http_${response.status}`,
        detail: typeof problem.detail === "string" ? problem.detail : text.slice(0, 200),
      };
    }
    if (response.status < 200 || response.status >= 300 || body === undefined) {
      return { kind: "unavailable", reason: `the edge answered ${response.status} without a JSON body`, status: response.status };
    }
    return { kind: "ok", value: body };
  }
}

/** An answer checked against its schema; one that does not fit is the edge not answering by contract (worth retrying). */
function parsed<T>(outcome: EdgeOutcome<unknown>, schema: z.ZodType<T>, name: string): EdgeOutcome<T> {
  if (outcome.kind !== "ok") return outcome;
  const result = schema.safeParse(outcome.value);
  if (!result.success) return { kind: "unavailable", reason: `the edge's answer is not a ${name}: ${result.error.issues[0]?.message}` };
  return { kind: "ok", value: result.data };
}

/** The envelope's trace fields of an entry (none for a row recorded before traces were kept). */
function traceFields(entry: OutboxEntry): string {
  const trace = entry.traceparent ? `"traceparent":"${entry.traceparent}",` : "";
  const recorded = entry.recordedAt === undefined ? "" : `"recordedAt":"${new Date(entry.recordedAt).toISOString()}",`;
  return trace + recorded;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${(error.cause as Error & { code?: string }).code ?? error.cause.message}` : "";
  return error.name === "TimeoutError" ? "the edge did not answer in time" : `${error.message}${cause}`;
}
