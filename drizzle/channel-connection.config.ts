import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  driver: "durable-sqlite",
  schema: "./durable/schema/channel-connection.ts",
  out: "./durable/migrations/channel-connection",
});
