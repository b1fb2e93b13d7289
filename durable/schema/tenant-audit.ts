import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * The tenant's audit trail: appended by the edge, read by GET /v1/audit,
 * never updated; rows older than the retention are pruned by the alarm.
 */
export const auditRecords = sqliteTable(
  "audit_records",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    kind: text("kind", { enum: ["write", "sign_in"] }).notNull(),
    keyId: text("key_id"),
    role: text("role", { enum: ["admin", "channel", "store", "erp", "readonly"] }),
    method: text("method").notNull(),
    route: text("route").notNull(),
    path: text("path").notNull(),
    objectId: text("object_id"),
    status: integer("status").notNull(),
    outcome: text("outcome").notNull(),
    requestId: text("request_id").notNull(),
    traceId: text("trace_id").notNull(),
  },
  (table) => [index("audit_records_at").on(table.at), index("audit_records_key").on(table.keyId, table.seq)],
);
