import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/allotment-shard.ts",
  out: "./durable/migrations/allotment-shard",
});
