import { Buffer } from "node:buffer";
import { parse } from "csv-parse/stream";
import { readRow } from "../../shared/erp-rows.ts";
import { AppError } from "../../shared/errors.ts";
import { erpFields, type ErpField, type ErpImportType, type ErpMapping, type ErpReportLine, type ErpRow } from "../../shared/schemas/erp.ts";
import type { StagedBatch } from "../../durable/erp-import.ts";

/** Rows handed to the import object at once while the body streams. */
export const stageBatchRows = 500;

/** A JSON import is read whole: arrays of more rows than this fit come as CSV, which is streamed. */
export const maxJsonImportBytes = 8 * 1024 * 1024;

export interface ReceiveInput {
  type: ErpImportType;
  mapping: ErpMapping;
  /** The import's as-of time for stock rows without an asOf column (epoch ms). */
  asOf?: number;
  now: number;
}

/** Takes each batch as it is ready; the body is not read further until it returns. */
export type Stage = (batch: StagedBatch) => Promise<void>;

/**
 * Streams a CSV body: the bytes are hashed as they pass (SHA-256, for the
 * "same file twice" rule), parsed by csv-parse's web TransformStream, each
 * row read through the mapping, and handed on in batches of
 * `stageBatchRows`. Nothing holds more than a batch and the parser's queue,
 * however long the file. Answers the body's checksum.
 *
 * A row the parser cannot read (a stray quote), with the wrong number of
 * fields, or with a value the mapping cannot read becomes a report line and
 * nothing of it is staged. A header that lacks the column of a required field
 * refuses the whole body (422 mapping_mismatch) before anything is staged.
 */
export async function receiveCsv(body: ReadableStream<Uint8Array>, input: ReceiveInput, stage: Stage): Promise<string> {
  const checksum = checksumTap();
  const unreadable: ErpReportLine[] = [];
  const records = body
    .pipeThrough(checksum.tap)
    .pipeThrough(crlfToLf())
    .pipeThrough(toBuffers())
    .pipeThrough(
      parse({
        bom: true,
        delimiter: input.mapping.delimiter,
        relax_column_count: true,
        skip_empty_lines: true,
        skip_records_with_error: true,
        info: true,
        on_skip: (error) => {
          const line = (error as { lines?: number } | undefined)?.lines ?? 0;
          unreadable.push({ row: line, column: null, outcome: "rejected", reason: `unreadable CSV: ${error?.message ?? "malformed row"}`, code: null });
        },
      }),
    ) as ReadableStream<{ record: string[]; info: { lines: number } }>;

  let header: string[] | null = null;
  let cellOf: ((record: string[], field: ErpField) => string | undefined) | null = null;
  let batch = emptyBatch();
  for await (const { record, info } of records) {
    if (header === null) {
      header = record.map((cell) => cell.trim());
      cellOf = cellReader(input.type, input.mapping, header);
      continue;
    }
    batch.received += 1;
    if (record.length !== header.length) {
      batch.lines.push({ row: info.lines, column: null, outcome: "rejected", reason: `expected ${header.length} fields as in the header, found ${record.length}`, code: null });
    } else {
      addReading(batch, info.lines, readRow(input.type, input.mapping, info.lines, (field) => cellOf!(record, field), input));
    }
    if (unreadable.length > 0) {
      batch.received += unreadable.length;
      batch.lines.push(...unreadable.splice(0));
    }
    if (batch.received >= stageBatchRows) {
      await stage(batch);
      batch = emptyBatch();
    }
  }
  if (header === null) throw new AppError("validation_failed", "The CSV body is empty: a header line naming the columns comes first");
  batch.received += unreadable.length;
  batch.lines.push(...unreadable);
  if (batch.received > 0) await stage(batch);
  return checksum.hex();
}

/**
 * Reads a JSON body whole (at most `maxJsonImportBytes`): an array of
 * objects whose members are the mapping's columns. Answers the checksum.
 */
export async function receiveJson(body: ReadableStream<Uint8Array>, input: ReceiveInput, stage: Stage): Promise<string> {
  const checksum = checksumTap();
  const text = await readBounded(body.pipeThrough(checksum.tap), maxJsonImportBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError("malformed_json", "The body is not valid JSON");
  }
  if (!Array.isArray(parsed)) throw new AppError("validation_failed", "A JSON import is an array of row objects");
  const fieldColumn = new Map(Object.entries(input.mapping.columns).map(([column, field]) => [field, column]));
  let batch = emptyBatch();
  for (const [index, element] of parsed.entries()) {
    batch.received += 1;
    if (element === null || typeof element !== "object" || Array.isArray(element)) {
      batch.lines.push({ row: index + 1, column: null, outcome: "rejected", reason: "the row is not an object", code: null });
    } else {
      const row = element as Record<string, unknown>;
      addReading(batch, index + 1, readRow(input.type, input.mapping, index + 1, (field) => cellText(row[fieldColumn.get(field) ?? ""]), input));
    }
    if (batch.received >= stageBatchRows) {
      await stage(batch);
      batch = emptyBatch();
    }
  }
  if (batch.received > 0) await stage(batch);
  return checksum.hex();
}

/** Hashes a body that is not staged (a resend under a sealed id), answering its checksum. */
export async function checksumOnly(body: ReadableStream<Uint8Array>): Promise<string> {
  const checksum = checksumTap();
  await body.pipeThrough(checksum.tap).pipeTo(new WritableStream());
  return checksum.hex();
}

function emptyBatch(): StagedBatch & { rows: ErpRow[] } {
  return { rows: [], lines: [], received: 0 };
}

function addReading(batch: StagedBatch, row: number, reading: ReturnType<typeof readRow>): void {
  if (reading.ok) batch.rows.push(reading.row);
  else batch.lines.push({ row, column: reading.column, outcome: "rejected", reason: reading.reason, code: null });
}

function cellText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** For each field, its cell of a record, by the header's position of the column the mapping names. */
function cellReader(type: ErpImportType, mapping: ErpMapping, header: string[]) {
  const position = new Map(header.map((name, at) => [name, at]));
  const required = new Set<string>(erpFields[type].required);
  // An optional field's column may be absent from a file: its cells read as empty.
  const missing = Object.entries(mapping.columns).filter(([column, field]) => required.has(field) && !position.has(column));
  if (missing.length > 0) {
    const names = missing.map(([column, field]) => `"${column}" (${field})`).join(", ");
    throw new AppError("mapping_mismatch", `The ${type} mapping names columns the CSV header does not have: ${names}. The header has: ${header.map((name) => `"${name}"`).join(", ")}`, {
      missingColumns: missing.map(([column]) => column),
      header,
    });
  }
  const fieldAt = new Map(Object.entries(mapping.columns).flatMap(([column, field]) => (position.has(column) ? [[field, position.get(column)!] as const] : [])));
  return (record: string[], field: ErpField) => {
    const at = fieldAt.get(field);
    return at === undefined ? undefined : record[at];
  };
}

/** Passes the bytes on unchanged and hashes them with workerd's crypto.DigestStream, which keeps nothing of them. */
function checksumTap() {
  const digest = new crypto.DigestStream("SHA-256");
  const writer = digest.getWriter();
  const tap = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      await writer.write(chunk);
      controller.enqueue(chunk);
    },
    async flush() {
      await writer.close();
    },
  });
  return {
    tap,
    hex: async () => [...new Uint8Array(await digest.digest)].map((byte) => byte.toString(16).padStart(2, "0")).join(""),
  };
}

/**
 * CRLF to LF, across chunk edges. csv-parse counts a CRLF inside a quoted
 * field as two lines, which would shift every later row number in the report.
 */
function crlfToLf(): TransformStream<Uint8Array, Uint8Array> {
  let pendingCr = false;
  return new TransformStream({
    transform(chunk, controller) {
      if (!pendingCr && chunk.indexOf(13) === -1) {
        controller.enqueue(chunk);
        return;
      }
      const out = new Uint8Array(chunk.length + 1);
      let length = 0;
      if (pendingCr && chunk[0] !== 10) out[length++] = 13;
      pendingCr = false;
      for (let at = 0; at < chunk.length; at++) {
        const byte = chunk[at]!;
        if (byte === 13) {
          if (at === chunk.length - 1) pendingCr = true;
          else if (chunk[at + 1] !== 10) out[length++] = 13;
          continue;
        }
        out[length++] = byte;
      }
      controller.enqueue(out.subarray(0, length));
    },
    flush(controller) {
      if (pendingCr) controller.enqueue(new Uint8Array([13]));
    },
  });
}

/** csv-parse reads Node Buffers: a view on the same bytes, no copy. */
function toBuffers(): TransformStream<Uint8Array, Buffer> {
  return new TransformStream({
    transform(chunk, controller) {
      controller.enqueue(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    },
  });
}

async function readBounded(body: ReadableStream<Uint8Array>, limit: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) throw new AppError("payload_too_large", `A JSON import is at most ${limit} bytes; send larger files as text/csv, which is streamed`, { limit });
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}
