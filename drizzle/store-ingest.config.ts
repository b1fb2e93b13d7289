import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/store-ingest.ts",
  out: "./durable/migrations/store-ingest",
});
