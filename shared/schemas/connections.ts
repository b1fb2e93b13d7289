import { z } from "@hono/zod-openapi";
import { ChannelId, LocationId, Timestamp } from "./common.ts";

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** HTTPS, or plain HTTP to this machine only: where a credential or a file may be sent. */
export function isSecureOrLoopback(text: string): boolean {
  const url = new URL(text);
  return url.protocol === "https:" || (url.protocol === "http:" && loopbackHosts.has(url.hostname));
}

/**
 * Where a connection sends its calls instead of the platform's own host:
 * tests, the demo and sandboxes. HTTPS, or plain HTTP to this machine only,
 * so a credential never crosses a network in clear.
 */
export const RemoteBaseUrl = z
  .string()
  .max(500)
  .url()
  .refine(isSecureOrLoopback, "https, or http to 127.0.0.1 / localhost only")
  .refine((text) => new URL(text).pathname.replace(/\/+$/, "") === "" && !new URL(text).search, "a base URL: scheme, host and port, no path or query")
  .openapi({ example: "https://acme-retail.myshopify.com" });

/** Shopify Admin GraphQL versions this connector speaks: compare-and-swap with `changeFromQuantity` and `@idempotent` are required from 2026-04. */
export const ShopifyApiVersion = z
  .string()
  .regex(/^\d{4}-(01|04|07|10)$/, "a Shopify API version such as 2026-04")
  .refine((version) => version >= "2026-04", "2026-04 or later")
  .default("2026-04");

export const ShopifyConnectionSettings = z
  .object({
    shopDomain: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,60}\.myshopify\.com$/, "the shop's <name>.myshopify.com domain")
      .openapi({ example: "acme-retail.myshopify.com" }),
    apiVersion: ShopifyApiVersion,
    baseUrl: RemoteBaseUrl.optional().openapi({ description: "Send Admin API calls here instead of https://<shopDomain> (tests, sandboxes)." }),
    confirmShipments: z.boolean().default(true).openapi({
      description:
        "Confirm each fulfilment of the channel's Shopify orders (those the tenant's Shopify webhook brings onto this channel) to the shop with fulfillmentCreate, carrier and tracking number included. Needs the write_merchant_managed_fulfillment_orders scope.",
    }),
    notifyCustomer: z.boolean().default(true).openapi({ description: "Whether Shopify sends the customer its shipping confirmation when a fulfilment is confirmed." }),
  })
  .strict()
  .openapi("ShopifyConnectionSettings");
export type ShopifyConnectionSettings = z.infer<typeof ShopifyConnectionSettings>;

export const ShopifyCredentials = z
  .object({
    accessToken: z.string().min(8).max(512).openapi({ description: "The Admin API access token (scopes write_inventory, read_products; write_merchant_managed_fulfillment_orders to confirm shipments). Write-only: stored encrypted, shown masked." }),
  })
  .strict()
  .openapi("ShopifyCredentials");
export type ShopifyCredentials = z.infer<typeof ShopifyCredentials>;

/** The most Shelfsync locations one connection maps to remote locations of their own. */
export const maxLocationMappings = 50;

/**
 * Which remote location receives which Shelfsync availability, for a remote
 * whose locations `remote` describes (`what` names one in messages):
 * `pool`, the channel's availability (its pool, less its buffer, within its
 * caps); `byLocation`, a Shelfsync location's own available units (on hand
 * less safety stock less reservations, never below 0), each to a remote
 * location of its own. At least one of them; no remote location twice.
 */
function locationMappings<Remote extends z.ZodString>(remote: Remote, what: string) {
  return z
    .object({
      pool: remote.optional().openapi({ description: `The ${what} that receives the channel's availability.` }),
      byLocation: z
        .record(LocationId, remote)
        .optional()
        .openapi({
          description: `Shelfsync location id → the ${what} that receives that location's own available units (no channel buffer or caps). At most ${maxLocationMappings}; each location must exist.`,
        }),
    })
    .strict()
    .superRefine((locations, context) => {
      const mapped = Object.entries(locations.byLocation ?? {});
      if (locations.pool === undefined && mapped.length === 0) {
        context.addIssue({ code: "custom", message: `map the pool or at least one location to a ${what}`, path: [] });
      }
      if (mapped.length > maxLocationMappings) {
        context.addIssue({ code: "custom", message: `at most ${maxLocationMappings} locations`, path: ["byLocation"] });
      }
      const seen = new Map<string, string>();
      if (locations.pool !== undefined) seen.set(locations.pool, "pool");
      for (const [location, target] of mapped) {
        const before = seen.get(target);
        if (before !== undefined) context.addIssue({ code: "custom", message: `${target} already receives ${before === "pool" ? "the pool" : `location ${before}`}: one ${what} per target`, path: ["byLocation", location] });
        else seen.set(target, location);
      }
    });
}

/** What every remote's `locations` holds, its ids as that remote spells them. */
export interface ConnectionLocations {
  pool?: string;
  byLocation?: Record<string, string>;
}

export const ShopifyLocations = locationMappings(
  z
    .string()
    .regex(/^gid:\/\/shopify\/Location\/\d{1,20}$/, "a Shopify location id: gid://shopify/Location/<number>")
    .openapi({ example: "gid://shopify/Location/68231790836" }),
  "Shopify location",
).openapi("ShopifyLocations");
export type ShopifyLocations = z.infer<typeof ShopifyLocations>;

/** The body of `PUT /v1/connections/{id}` for one remote: its type, the channel it publishes, and the remote's own parts. */
function connectionRequest<Type extends string, Settings extends z.ZodType, Credentials extends z.ZodType, Locations extends z.ZodType>(
  type: Type,
  parts: { settings: Settings; credentials: Credentials; locations: Locations },
) {
  return z
    .object({
      type: z.literal(type),
      channel: ChannelId.openapi({ description: "The Shelfsync channel whose availability this connection publishes; it must exist." }),
      settings: parts.settings,
      credentials: parts.credentials,
      locations: parts.locations,
      enabled: z.boolean().default(true),
    })
    .strict();
}

export const PutShopifyConnectionRequest = connectionRequest("shopify", { settings: ShopifyConnectionSettings, credentials: ShopifyCredentials, locations: ShopifyLocations }).openapi("PutShopifyConnectionRequest");

export const WalmartConnectionSettings = z
  .object({
    baseUrl: RemoteBaseUrl.optional().openapi({ description: "Send calls here instead of https://marketplace.walmartapis.com (the sandbox, tests)." }),
    serviceName: z.string().min(1).max(100).default("Walmart Marketplace").openapi({ description: "Sent as WM_SVC.NAME." }),
    feedThreshold: z
      .number()
      .int()
      .min(1)
      .max(50_000)
      .default(100)
      .openapi({ description: "More SKUs pending than this go out in one bulk inventory feed (at most 10 an hour); fewer, one PUT /v3/inventory each." }),
    inventoryCallsPerMinute: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(300)
      .openapi({ description: "The pace of single-SKU updates. Walmart does not publish this limit for Marketplace US: set it to your account's." }),
    pullOrders: z.boolean().default(true).openapi({ description: "Take Walmart's new orders onto the channel (acknowledged once recorded), and cancel those Walmart cancels." }),
    orderPollSeconds: z.number().int().min(10).max(3_600).default(60).openapi({ description: "How often new orders are listed; Walmart wants them acknowledged within 4 hours." }),
  })
  .strict()
  .openapi("WalmartConnectionSettings");
export type WalmartConnectionSettings = z.infer<typeof WalmartConnectionSettings>;

export const WalmartCredentials = z
  .object({
    clientId: z.string().min(8).max(256),
    clientSecret: z.string().min(8).max(512).openapi({ description: "Write-only: stored encrypted, shown masked." }),
  })
  .strict()
  .openapi("WalmartCredentials");
export type WalmartCredentials = z.infer<typeof WalmartCredentials>;

export const WalmartLocations = locationMappings(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a Walmart ship node id").openapi({ example: "10001234567" }), "Walmart ship node").openapi(
  "WalmartLocations",
);

export const PutWalmartConnectionRequest = connectionRequest("walmart", { settings: WalmartConnectionSettings, credentials: WalmartCredentials, locations: WalmartLocations }).openapi("PutWalmartConnectionRequest");

export const amazonRegions = {
  na: { baseUrl: "https://sellingpartnerapi-na.amazon.com", tokenUrl: "https://api.amazon.com/auth/o2/token" },
  eu: { baseUrl: "https://sellingpartnerapi-eu.amazon.com", tokenUrl: "https://api.amazon.co.uk/auth/o2/token" },
  fe: { baseUrl: "https://sellingpartnerapi-fe.amazon.com", tokenUrl: "https://api.amazon.co.jp/auth/o2/token" },
} as const;

export const AmazonConnectionSettings = z
  .object({
    sellerId: z.string().regex(/^[A-Z0-9]{5,20}$/, "the seller (merchant) id, e.g. A2EUQ1WTGCTBG2").openapi({ example: "A2EUQ1WTGCTBG2" }),
    marketplaceIds: z
      .array(z.string().regex(/^[A-Z0-9]{5,20}$/, "a marketplace id, e.g. ATVPDKIKX0DER"))
      .min(1)
      .max(20)
      .openapi({ example: ["ATVPDKIKX0DER"] }),
    region: z.enum(["na", "eu", "fe"]).openapi({ description: "The SP-API region of the marketplaces: its endpoint and its LWA token endpoint." }),
    baseUrl: RemoteBaseUrl.optional().openapi({ description: "Send SP-API calls here instead of the region's endpoint (the sandbox, tests)." }),
    tokenUrl: z
      .string()
      .max(500)
      .url()
      .refine((text) => {
        const url = new URL(text);
        return url.protocol === "https:" || (url.protocol === "http:" && loopbackHosts.has(url.hostname));
      }, "https, or http to 127.0.0.1 / localhost only")
      .optional()
      .openapi({ description: "Exchange the refresh token here instead of the region's LWA endpoint." }),
    feedThreshold: z
      .number()
      .int()
      .min(1)
      .max(25_000)
      .default(100)
      .openapi({ description: "More SKUs pending than this go out in one JSON_LISTINGS_FEED (at most 5 every 5 minutes); fewer, one patchListingsItem each." }),
    pullOrders: z
      .boolean()
      .default(true)
      .openapi({ description: "Take the seller's merchant-fulfilled orders onto the channel (searchOrders), cancel those Amazon cancels, and confirm their shipments (confirmShipment)." }),
    orderPollSeconds: z
      .number()
      .int()
      .min(10)
      .max(3_600)
      .default(180)
      .openapi({ description: "How often orders updated since the last listing are searched. searchOrders allows 0.0056 requests a second (burst 20): a shorter poll is paced to that rate." }),
    orderLookbackHours: z
      .number()
      .int()
      .min(0)
      .max(720)
      .default(24)
      .openapi({ description: "The first listing takes orders updated this many hours before the connection first lists (0: only orders updated from then on)." }),
  })
  .strict()
  .openapi("AmazonConnectionSettings");
export type AmazonConnectionSettings = z.infer<typeof AmazonConnectionSettings>;

export const AmazonCredentials = z
  .object({
    refreshToken: z.string().min(8).max(2048).openapi({ description: "The LWA refresh token of the seller's authorization. Write-only: stored encrypted, shown masked." }),
    clientId: z.string().min(8).max(256),
    clientSecret: z.string().min(8).max(512),
  })
  .strict()
  .openapi("AmazonCredentials");
export type AmazonCredentials = z.infer<typeof AmazonCredentials>;

export const AmazonLocations = locationMappings(
  z.string().regex(/^[A-Z0-9_]{1,40}$/, "a fulfillment channel code, e.g. DEFAULT").openapi({ example: "DEFAULT" }),
  "fulfillment_channel_code",
).openapi("AmazonLocations");

export const PutAmazonConnectionRequest = connectionRequest("amazon", { settings: AmazonConnectionSettings, credentials: AmazonCredentials, locations: AmazonLocations }).openapi("PutAmazonConnectionRequest");

export const PutConnectionRequest = z
  .discriminatedUnion("type", [PutShopifyConnectionRequest, PutWalmartConnectionRequest, PutAmazonConnectionRequest])
  .openapi("PutConnectionRequest");
export type PutConnectionRequest = z.infer<typeof PutConnectionRequest>;

export const ConnectionId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "1-63 lowercase letters, digits or '-', starting with a letter or digit")
  .openapi({ example: "shopify-main" });

const connectionBase = { id: ConnectionId, channel: ChannelId, enabled: z.boolean(), createdAt: Timestamp, updatedAt: Timestamp };
const masked = (name: string) => z.string().openapi({ description: `Masked: only the last 4 characters of the ${name} show.`, example: "••••••••3f9a" });

export const Connection = z
  .discriminatedUnion("type", [
    z.object({
      ...connectionBase,
      type: z.literal("shopify"),
      settings: ShopifyConnectionSettings,
      credentials: z.object({ accessToken: masked("token") }),
      locations: ShopifyLocations,
    }),
    z.object({
      ...connectionBase,
      type: z.literal("walmart"),
      settings: WalmartConnectionSettings,
      credentials: z.object({ clientId: masked("client id"), clientSecret: masked("client secret") }),
      locations: WalmartLocations,
    }),
    z.object({
      ...connectionBase,
      type: z.literal("amazon"),
      settings: AmazonConnectionSettings,
      credentials: z.object({ refreshToken: masked("refresh token"), clientId: masked("client id"), clientSecret: masked("client secret") }),
      locations: AmazonLocations,
    }),
  ])
  .openapi("Connection");
export type Connection = z.infer<typeof Connection>;


export const ConnectionState = z.enum(["syncing", "idle", "throttled", "failing", "credentials_rejected", "disabled"]).openapi({
  description:
    "syncing: changes are being pushed; idle: the remote holds every value; throttled: waiting for the remote's budget; failing: the last push failed and is retried with backoff; credentials_rejected: the remote refused the credentials, nothing is pushed until they change; disabled: switched off.",
});
export type ConnectionState = z.infer<typeof ConnectionState>;

export const ConnectionStatus = z
  .object({
    id: ConnectionId,
    state: ConnectionState,
    pending: z.object({
      skus: z.number().int().openapi({ description: "SKUs whose latest availability the remote has not confirmed yet, at one target or more." }),
      oldestAgeSeconds: z.number().nullable().openapi({ description: "How long the oldest of them has waited; null when none waits." }),
      pool: z.number().int().openapi({ description: "Of them, those pending at `locations.pool`." }),
      byLocation: z.record(LocationId, z.number().int()).openapi({ description: "Per location of `locations.byLocation`: its SKUs pending at its remote location." }),
    }),
    budget: z.object({
      limit: z.number().nullable().openapi({ description: "The remote's bucket size (Shopify: maximumAvailable cost points, as it last reported it; Walmart: single updates a minute)." }),
      remaining: z.number().nullable(),
      restoreRate: z.number().nullable().openapi({ description: "Points restored per second." }),
      usedLastMinute: z.number(),
    }),
    lastHour: z.object({
      remoteWrites: z.number().int(),
      skusConfirmed: z.number().int(),
      throttled: z.number().int().openapi({ description: "Answers in which the remote said to slow down (THROTTLED, 429)." }),
    }),
    syncLagMs: z
      .object({ p50: z.number().nullable(), p99: z.number().nullable(), samples: z.number().int() })
      .openapi({ description: "Over the last hour, counted by the minute: from the availability change in Shelfsync to the remote confirming that value. p50 and p99 are read from a log-linear histogram: never below the exact value, at most 6.25 % above it." }),
    lastError: z.object({ at: Timestamp, message: z.string() }).nullable(),
    cursor: z.string().openapi({ description: "How far in the channel's availability change feed the connection has read." }),
    locationCursors: z.record(LocationId, z.string()).openapi({ description: "Per location of `locations.byLocation`: how far in its stock feed the connection has read." }),
  })
  .openapi("ConnectionStatus");
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

/** `include=status` on a list of connections: each with its status, read from the connections in parallel. */
export const IncludeStatusQuery = z.object({
  include: z.enum(["status"]).optional().openapi({ description: "status: each connection also carries its status (as GET …/{id}/status answers it), read from every connection in one call." }),
});

export const ConnectionList = z
  .object({
    connections: z.array(
      z.intersection(Connection, z.object({ status: ConnectionStatus.optional() })),
    ),
  })
  .openapi("ConnectionList");
export type ConnectionList = z.infer<typeof ConnectionList>;
