import { z } from "zod";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { LocationId } from "../shared/schemas/common.ts";
import { isSupportedCountry } from "libphonenumber-js/min";
import { maxPoints } from "../shared/schemas/loyalty.ts";

/**
 * Each setting: its command-line flag and its environment variable. Flags win.
 * A secret has no flag (`flag: null`): a command line is visible to every
 * user of the machine (ps, /proc), the environment and files are not.
 */
export const settings = {
  edgeUrl: { flag: "edge-url", env: "SHELFSYNC_EDGE_URL", help: "the edge's base URL, e.g. https://edge.example.com" },
  storeKey: { flag: null, env: "SHELFSYNC_STORE_KEY", help: "the store's API key (bound to its location); or a file holding it in SHELFSYNC_STORE_KEY_FILE" },
  location: { flag: "location", env: "SHELFSYNC_LOCATION", help: "the store's location id, e.g. store-001" },
  dataDir: { flag: "data-dir", env: "SHELFSYNC_DATA_DIR", help: "where the agent keeps agent.db (default ./shelfsync-agent-data)" },
  port: { flag: "port", env: "SHELFSYNC_PORT", help: "the POS API's port (default 8790)" },
  host: { flag: "host", env: "SHELFSYNC_HOST", help: "the address the POS API listens on (default 127.0.0.1)" },
  allowedHosts: { flag: "allowed-hosts", env: "SHELFSYNC_ALLOWED_HOSTS", help: "Host headers the POS API answers, comma-separated (default localhost, 127.0.0.1, [::1] and --host)" },
  terminalRatePerSecond: { flag: "terminal-rate", env: "SHELFSYNC_TERMINAL_RATE", help: "POS requests a second each terminal may make, sustained (default 10)" },
  terminalBurst: { flag: "terminal-burst", env: "SHELFSYNC_TERMINAL_BURST", help: "POS requests a terminal may make at once before the rate applies (default 50)" },
  pullIntervalSeconds: { flag: "pull-interval", env: "SHELFSYNC_PULL_INTERVAL", help: "seconds between feed pulls (default 30)" },
  healthIntervalSeconds: { flag: "health-interval", env: "SHELFSYNC_HEALTH_INTERVAL", help: "seconds between health reports to the edge, sent at once on a change too (default 30)" },
  maxBackoffSeconds: { flag: "max-backoff", env: "SHELFSYNC_MAX_BACKOFF", help: "the longest wait between push retries, in seconds (default 30)" },
  edgeTimeoutSeconds: { flag: "edge-timeout", env: "SHELFSYNC_EDGE_TIMEOUT", help: "seconds a call to the edge may take before it counts as failed (default 30)" },
  loyaltyHoldCap: { flag: "loyalty-hold-cap", env: "SHELFSYNC_LOYALTY_HOLD_CAP", help: "the most points a customer lookup holds at the edge for the store to approve offline (default 500; 0: none)" },
  loyaltyHoldTtlSeconds: { flag: "loyalty-hold-ttl", env: "SHELFSYNC_LOYALTY_HOLD_TTL", help: "seconds such a hold lasts, 60 to 604800 (default: the programme's holdTtlSeconds)" },
  phoneCountry: { flag: "phone-country", env: "SHELFSYNC_PHONE_COUNTRY", help: "the country (ISO 3166 alpha-2, e.g. GB) of phone numbers the till enters without +, for lookups by phone while offline (default: none; online the edge reads them with the tenant's defaultCountry)" },
  offlineRedemption: { flag: "offline-redemption", env: "SHELFSYNC_OFFLINE_REDEMPTION", help: "a redemption the store's hold does not cover: refuse (the till completes the sale without it) or allow (default refuse)" },
} as const satisfies Record<string, { flag: string | null; env: string; help: string }>;

/** The variable naming a file that holds the store key (a systemd credential, a secrets mount). */
export const storeKeyFileEnv = "SHELFSYNC_STORE_KEY_FILE";

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
  // Loopback unless an operator opens it up: a web page on the store PC must not reach the POS API by another address.
  host: z.string().min(1).default("127.0.0.1"),
  allowedHosts: z
    .string()
    .default("")
    .transform((list) => list.split(",").map((entry) => entry.trim().toLowerCase()).filter((entry) => entry.length > 0)),
  terminalRatePerSecond: z.coerce.number().min(0.01).max(100_000).default(10),
  terminalBurst: z.coerce.number().int().min(1).max(1_000_000).default(50),
  pullIntervalSeconds: seconds(30, 86_400),
  healthIntervalSeconds: seconds(30, 3_600),
  maxBackoffSeconds: seconds(30, 3_600),
  edgeTimeoutSeconds: seconds(30, 600),
  loyaltyHoldCap: z.coerce.number().int().min(0).max(maxPoints).default(500),
  // Unset: the hold request names no TTL, and the edge applies the tenant's programme.
  loyaltyHoldTtlSeconds: z.coerce.number().int().min(60).max(7 * 24 * 3_600).optional(),
  offlineRedemption: z.enum(["refuse", "allow"]).default("refuse"),
  phoneCountry: z
    .string()
    .regex(/^[A-Z]{2}$/, "an ISO 3166 alpha-2 country code")
    .refine(isSupportedCountry, "a country whose phone numbering is known")
    .optional(),
});

export type AgentConfig = z.infer<typeof AgentConfig>;

/** What `status` needs: only the data dir. */
export const DataDirConfig = AgentConfig.pick({ dataDir: true });

/**
 * Merges flags over environment variables; empty values count as unset. The
 * store key comes from SHELFSYNC_STORE_KEY, else from the file named by
 * SHELFSYNC_STORE_KEY_FILE, never from a flag.
 */
export function rawSettings(flags: RawSettings, env: NodeJS.ProcessEnv = process.env): RawSettings {
  const raw: RawSettings = {};
  for (const [name, setting] of Object.entries(settings) as [SettingName, (typeof settings)[SettingName]][]) {
    const value = (setting.flag === null ? undefined : flags[name]) || env[setting.env];
    if (value) raw[name] = value;
  }
  const keyFile = env[storeKeyFileEnv];
  if (!raw.storeKey && keyFile) raw.storeKey = readStoreKeyFile(keyFile);
  return raw;
}

function readStoreKeyFile(file: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new ConfigError(`${storeKeyFileEnv}: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** How a setting is named in messages: `--port / SHELFSYNC_PORT`, or the variable alone for a secret. */
export function settingLabel(name: SettingName): string {
  const setting = settings[name];
  return setting.flag === null ? setting.env : `--${setting.flag} / ${setting.env}`;
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
    const name = issue.path[0] as SettingName;
    const message = issue.message.endsWith("received undefined") ? "not set" : issue.message;
    return name in settings ? `  ${settingLabel(name)}: ${message}` : `  ${message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
}

/** `ssk_acme-retail_****wxyz`: the tenant prefix and the last four characters. */
export function maskKey(key: string): string {
  const cut = key.lastIndexOf("_") + 1;
  const secret = key.slice(cut);
  return `${key.slice(0, cut)}****${secret.length >= 12 ? secret.slice(-4) : ""}`;
}
