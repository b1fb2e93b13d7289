import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/finance-ledger.ts",
  out: "./durable/migrations/finance-ledger",
});
