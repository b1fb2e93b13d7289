import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/erp-connection.ts",
  out: "./durable/migrations/erp-connection",
});
