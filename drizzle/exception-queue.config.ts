import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/exception-queue.ts",
  out: "./durable/migrations/exception-queue",
});
