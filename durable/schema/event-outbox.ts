import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { OutboundEvent } from "../../shared/schemas/events.ts";

/**
 * Events an object's state change produced, written in the same transaction
 * as that change and removed once the queue took them (or, if the queue
 * refused, once they were recorded as exceptions). So a change never
 * loses its event, and a crash in between sends it again (same id).
 */
export const eventOutbox = sqliteTable("event_outbox", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  event: text("event", { mode: "json" }).$type<OutboundEvent>().notNull(),
  tries: integer("tries").notNull(),
  createdAt: integer("created_at").notNull(),
});
