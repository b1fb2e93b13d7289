import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/console-sessions.ts",
  out: "./durable/migrations/console-sessions",
});
