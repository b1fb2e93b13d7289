import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** The hops recorded of the traces whose id falls in this shard. */
export const traceHops = sqliteTable(
  "trace_hops",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    traceId: text("trace_id").notNull(),
    at: integer("at").notNull(),
    hop: text("hop").notNull(),
    location: text("location").notNull(),
    spanId: text("span_id"),
    detail: text("detail"),
  },
  (table) => [index("trace_hops_trace").on(table.traceId, table.at), index("trace_hops_at").on(table.at)],
);
