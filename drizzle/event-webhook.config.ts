import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/event-webhook.ts",
  out: "./durable/migrations/event-webhook",
});
