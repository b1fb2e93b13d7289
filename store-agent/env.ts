import { z } from "zod";
import { resolve } from "node:path";
import { LocationId } from "../shared/schemas/common.ts";

/** Each setting: its command-line flag and its environment variable. Flags win. */
export const settings = {
  edgeUrl: { flag: "edge-url", env: "SHELFSYNC_EDGE_URL", help: "the edge's base URL, e.g. https://edge.example.com" },
  storeKey: { flag: "store-key", env: "SHELFSYNC_STORE_KEY", help: "the store's API key (bound to its location)" },
  location: { flag: "location", env: "SHELFSYNC_LOCATION", help: "the store's location id, e.g. store-001" },
  dataDir: { flag: "data-dir", env: "SHELFSYNC_DATA_DIR", help: "where the agent keeps agent.db (default ./shelfsync-agent-data)" },
  port: { flag: "port", env: "SHELFSYNC_PORT", help: "the POS API's port (default 8790)" },
  host: { flag: "host", env: "SHELFSYNC_HOST", help: "the address the POS API listens on (default 0.0.0.0)" },
  pullIntervalSeconds: { flag: "pull-interval", env: "SHELFSYNC_PULL_INTERVAL", help: "seconds between feed pulls (default 30)" },
  maxBackoffSeconds: { flag: "max-backoff", env: "SHELFSYNC_MAX_BACKOFF", help: "the longest wait between push retries, in seconds (default 30)" },
} as const;

export type SettingName = keyof typeof settings;
export type RawSettings = Partial<Record<SettingName, string>>;

const seconds = (fallback: number, max: number) => z.coerce.number().min(0.01).max(max).default(fallback);

/** The agent's configuration, parsed once at start. */
export const AgentConfig = z.object({
  edgeUrl: z.url({ protocol: /^https?$/, error: (issue) => (issue.input === undefined ? "not set" : "an http or https URL") }),
  storeKey: z.string().min(1),
  location: LocationId,
  dataDir: z.string().min(1).default("./shelfsync-agent-data").transform((dir) => resolve(dir)),
  port: z.coerce.number().int().min(0).max(65_535).default(8790),
  host: z.string().min(1).default("0.0.0.0"),
  pullIntervalSeconds: seconds(30, 86_400),
  maxBackoffSeconds: seconds(30, 3_600),
});

export type AgentConfig = z.infer<typeof AgentConfig>;

/** What `status` needs: only the data dir. */
export const DataDirConfig = AgentConfig.pick({ dataDir: true });

/** Merges flags over environment variables; empty values count as unset. */
export function rawSettings(flags: RawSettings, env: NodeJS.ProcessEnv = process.env): RawSettings {
  const raw: RawSettings = {};
  for (const [name, setting] of Object.entries(settings) as [SettingName, (typeof settings)[SettingName]][]) {
    const value = flags[name] || env[setting.env];
    if (value) raw[name] = value;
  }
  return raw;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Parses the configuration, naming the flag and variable of each bad setting.
 *
 * @example
 * const config = parseConfig(AgentConfig, rawSettings({ port: "8790" }));
 */
export function parseConfig<T extends z.ZodType>(schema: T, raw: RawSettings): z.infer<T> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const setting = settings[issue.path[0] as SettingName];
    const message = issue.message.endsWith("received undefined") ? "not set" : issue.message;
    return setting ? `  --${setting.flag} / ${setting.env}: ${message}` : `  ${message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
}

/** `ssk_acme-retail_****wxyz`: the tenant prefix and the last four characters. */
export function maskKey(key: string): string {
  const cut = key.lastIndexOf("_") + 1;
  const secret = key.slice(cut);
  return `${key.slice(0, cut)}****${secret.length >= 12 ? secret.slice(-4) : ""}`;
}
