import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/availability-shard.ts",
  out: "./durable/migrations/availability-shard",
});
