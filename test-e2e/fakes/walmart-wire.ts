import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * The fake Walmart's wire, both ways: what it reads (the multipart upload,
 * the two inventory feed files, a quantity, headers, paging) and the shapes
 * it answers with (Walmart's error body, feed counts, a 429's wait). No
 * state here; `walmart.ts` decides what a parsed request does.
 */

/** Spec 1.4 (`inventory`: one ship node) and spec 1.5 (`MP_INVENTORY`: ship nodes per item). */
export type FeedType = "inventory" | "MP_INVENTORY";

export const feedTypes: readonly string[] = ["inventory", "MP_INVENTORY"] satisfies FeedType[];

/** One item of a feed file as sent, unchecked; a `shipNode` of null means the default node (spec 1.4 only: 1.5 names every node). */
export interface FeedLine {
  index: number;
  sku: unknown;
  nodes: { shipNode: unknown; quantity: unknown }[];
}

/** A file that is not a feed of its type is refused whole: the feed ends in `ERROR` with this code. */
export type ParsedFeed = { ok: true; lines: FeedLine[] } | { ok: false; code: string; description: string };

export type Upload = { ok: true; text: string; bytes: number } | { ok: false; description: string };

export interface IngestionError {
  type: "DATA_ERROR" | "SYSTEM_ERROR" | "TIMEOUT_ERROR";
  code: string;
  description: string;
}

export type FeedStatus = "RECEIVED" | "INPROGRESS" | "PROCESSED" | "ERROR";

/** "SUCCESS" is in the feeds model's enum and example (highsidelabs/walmart-api-php feeds.json @044255b); REFERENCE.md §3 has it as [U]. */
export type IngestionStatus = "INPROGRESS" | "SUCCESS" | "DATA_ERROR" | "SYSTEM_ERROR" | "TIMEOUT_ERROR";

export interface ItemIngestion {
  index: number;
  sku: string;
  ingestionStatus: IngestionStatus;
  ingestionErrors: IngestionError[];
}

/** A submitted feed as the server sees it now. */
export interface FakeWalmartFeed {
  feedId: string;
  feedType: FeedType;
  submittedAt: number;
  fileBytes: number;
  feedStatus: FeedStatus;
  /** When processed (or submitted, until then): the feed list's `modifiedDtm`. */
  modifiedAt: number;
  /** Per item in file order: INPROGRESS until processed. */
  items: ItemIngestion[];
  /** Why the whole file was refused (feedStatus ERROR). */
  error: IngestionError | null;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A token bucket: `tokens` refill at `perMs` up to `capacity`, one per call. */
export interface Bucket {
  capacity: number;
  perMs: number;
  tokens: number;
  at: number;
}

/**
 * The file in the `file` part of a `multipart/form-data` body, parsed by
 * the platform's own `Request.formData()`, so a malformed body fails as a
 * real multipart parser fails. A text part is accepted as well as a file part.
 */
export async function readUpload(contentType: string | undefined, raw: Buffer): Promise<Upload> {
  if (!contentType?.toLowerCase().startsWith("multipart/form-data")) {
    return { ok: false, description: "The feed file must be sent as multipart/form-data, in a part named file." };
  }
  let form: FormData;
  try {
    form = await new Request("http://fake/v3/feeds", { method: "POST", headers: { "content-type": contentType }, body: Uint8Array.from(raw) }).formData();
  } catch {
    return { ok: false, description: "The multipart/form-data body could not be parsed." };
  }
  const file = form.get("file");
  if (file === null) return { ok: false, description: "The multipart/form-data body has no part named file." };
  const bytes = typeof file === "string" ? Buffer.from(file, "utf8") : Buffer.from(await file.arrayBuffer());
  return { ok: true, text: bytes.toString("utf8"), bytes: bytes.length };
}

/**
 * Reads a JSON feed file of its type: the header's version must be the
 * type's spec (1.4 or 1.5) and the items an array. Items are not checked
 * here: a bad item fails alone, when the feed is processed.
 *
 * @example
 * parseFeedFile("inventory", '{"InventoryHeader":{"version":"1.4"},"Inventory":[{"sku":"A","quantity":{"unit":"EACH","amount":3}}]}');
 * // { ok: true, lines: [{ index: 0, sku: "A", nodes: [{ shipNode: null, quantity: { unit: "EACH", amount: 3 } }] }] }
 */
export function parseFeedFile(feedType: FeedType, text: string): ParsedFeed {
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch {
    return fileError("The feed file is not JSON (the fake reads JSON feeds only, not XML).");
  }
  if (!isRecord(file)) return fileError("The feed file is not a JSON object.");
  if (feedType === "inventory") {
    const header = file["InventoryHeader"];
    const items = file["Inventory"];
    if (!isRecord(header) || header["version"] !== "1.4") return fileError('An inventory feed needs "InventoryHeader": { "version": "1.4" }.');
    if (!Array.isArray(items)) return fileError('An inventory feed needs an "Inventory" array.');
    return { ok: true, lines: items.map((item: unknown, index) => ({ index, sku: fieldOf(item, "sku"), nodes: [{ shipNode: fieldOf(item, "shipNode") ?? null, quantity: fieldOf(item, "quantity") }] })) };
  }
  const header = file["inventoryHeader"];
  const items = file["inventory"];
  if (!isRecord(header) || header["version"] !== "1.5") return fileError('An MP_INVENTORY feed needs "inventoryHeader": { "version": "1.5" }.');
  if (!Array.isArray(items)) return fileError('An MP_INVENTORY feed needs an "inventory" array.');
  return {
    ok: true,
    lines: items.map((item: unknown, index) => {
      const nodes = fieldOf(item, "shipNodes");
      const list: unknown[] = Array.isArray(nodes) ? nodes : [];
      return { index, sku: fieldOf(item, "sku"), nodes: list.map((node) => ({ shipNode: fieldOf(node, "shipNode"), quantity: fieldOf(node, "quantity") })) };
    }),
  };
}

/** Why a `quantity` is not `{ unit: "EACH", amount: <whole number ≥ 0> }`, or null when it is. */
export function quantityError(quantity: unknown): string | null {
  if (!isRecord(quantity)) return "quantity is required.";
  if (quantity["unit"] !== "EACH") return 'quantity.unit must be "EACH".';
  const amount = quantity["amount"];
  if (typeof amount !== "number" || !Number.isInteger(amount) || amount < 0) return "quantity.amount must be a whole number, 0 or more.";
  return null;
}

/**
 * Walmart's error body (`GatewayError` in the feeds model): a list of
 * `{ code, field, description, info, severity, category, causes }`.
 */
export function walmartErrors(code: string, description: string, field?: string, category: "DATA" | "REQUEST" | "SYSTEM" = "DATA"): object {
  return { errors: [{ code, field: field ?? code.split(".")[0], description, info: description, severity: "ERROR", category, causes: [] }] };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function fieldOf(value: unknown, name: string): unknown {
  return isRecord(value) ? value[name] : undefined;
}

function fileError(description: string): ParsedFeed {
  return { ok: false, code: "INVALID_FEED_FILE", description };
}

export function bucket(perMinute: number, burst: number, now: number): Bucket {
  if (!(perMinute > 0) || !(burst >= 1)) throw new Error(`a rate limit needs a positive rate and a burst of at least 1 (got ${perMinute}/min, burst ${burst})`);
  return { capacity: burst, perMs: perMinute / 60_000, tokens: burst, at: now };
}

/** Refills the bucket up to now and takes a token: 0 when taken, else the ms until one is there. */
export function takeToken(state: Bucket, now: number): number {
  state.tokens = Math.min(state.capacity, state.tokens + state.perMs * Math.max(0, now - state.at));
  state.at = Math.max(state.at, now);
  if (state.tokens < 1) return (1 - state.tokens) / state.perMs;
  state.tokens -= 1;
  return 0;
}

/**
 * `GET /v3/feeds/{feedId}`: the counters, the file's own error if any and,
 * with a page (`includeDetails=true`), that page of item statuses.
 * `ingestionErrors` is left out of an item that has none, as in the model's example.
 */
export function feedStatusBody(feed: FakeWalmartFeed, details: { offset: number; limit: number } | null): object {
  const summary = { feedId: feed.feedId, feedStatus: feed.feedStatus, feedSubmissionDate: feed.submittedAt, ...counts(feed.items) };
  const body = feed.error ? { ...summary, ingestionErrors: { ingestionError: [feed.error] } } : summary;
  if (!details) return body;
  const itemIngestionStatus = feed.items
    .slice(details.offset, details.offset + details.limit)
    .map(({ ingestionErrors, ...item }) => (ingestionErrors.length > 0 ? { martId: 0, ...item, ingestionErrors: { ingestionError: ingestionErrors } } : { martId: 0, ...item }));
  return { ...body, ...details, itemDetails: { itemIngestionStatus } };
}

/** One `results.feed[]` entry of `GET /v3/feeds`. */
export function feedListEntry(feed: FakeWalmartFeed): object {
  const errorsOf = (type: IngestionStatus) => feed.items.filter((item) => item.ingestionStatus === type).length;
  return {
    feedId: feed.feedId,
    feedSource: "SELLER",
    feedType: feed.feedType,
    feedStatus: feed.feedStatus,
    feedDate: feed.submittedAt,
    modifiedDtm: feed.modifiedAt,
    ...counts(feed.items),
    itemDataErrorCount: errorsOf("DATA_ERROR"),
    itemSystemErrorCount: errorsOf("SYSTEM_ERROR"),
    itemTimeoutErrorCount: errorsOf("TIMEOUT_ERROR"),
  };
}

/** The feed counters Walmart reports, from the items' statuses. */
function counts(items: ItemIngestion[]): { itemsReceived: number; itemsSucceeded: number; itemsFailed: number; itemsProcessing: number } {
  const processing = items.filter((item) => item.ingestionStatus === "INPROGRESS").length;
  const succeeded = items.filter((item) => item.ingestionStatus === "SUCCESS").length;
  return { itemsReceived: items.length, itemsSucceeded: succeeded, itemsFailed: items.length - processing - succeeded, itemsProcessing: processing };
}

/** `offset` (default 0) and `limit` (default and most: `most`) from the query. */
export function page(url: URL, most: number): { offset: number; limit: number } {
  const offset = Math.max(0, Number.parseInt(url.searchParams.get("offset") ?? "0", 10) || 0);
  const limit = Math.min(most, Math.max(1, Number.parseInt(url.searchParams.get("limit") ?? String(most), 10) || most));
  return { offset, limit };
}

/** A header's value, or undefined when it is missing or blank. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return typeof value === "string" && value.trim() !== "" ? value : undefined;
}

export function badRequest(description: string, field: string): HttpAnswer {
  return { status: 400, body: walmartErrors("INVALID_REQUEST.GMP_INVENTORY_API", description, field, "REQUEST") };
}

export function skuNotFound(sku: string): HttpAnswer {
  return { status: 404, body: walmartErrors("CONTENT_NOT_FOUND.GMP_INVENTORY_API", `Item not found for SKU ${sku}.`, "sku") };
}

export function notAllowed(): HttpAnswer {
  return { status: 405, body: walmartErrors("METHOD_NOT_ALLOWED.GMP_GATEWAY_API", "Method Not Allowed", undefined, "REQUEST") };
}

export function send(res: ServerResponse, answer: HttpAnswer): void {
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body), ...answer.headers });
  res.end(body);
}
