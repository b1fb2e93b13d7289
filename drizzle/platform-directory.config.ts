import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/platform-directory.ts",
  out: "./durable/migrations/platform-directory",
});
