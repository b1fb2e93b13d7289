import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/store-leases.ts",
  out: "./durable/migrations/store-leases",
});
