import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/trace-log.ts",
  out: "./durable/migrations/trace-log",
});
