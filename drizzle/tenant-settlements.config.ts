import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/tenant-settlements.ts",
  out: "./durable/migrations/tenant-settlements",
});
