import { z } from "@hono/zod-openapi";
import { availabilityIndex, channelConnection, tenantRegistry } from "../../durable/objects.ts";
import { AppError } from "../../shared/errors.ts";
import { Connection, ConnectionId, ConnectionList, ConnectionStatus, IncludeStatusQuery, PutConnectionRequest } from "../../shared/schemas/connections.ts";
import { authorize } from "../auth.ts";
import { readLimited } from "../connection-statuses.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const connections = routesOf("Connections");
const ConnectionParams = z.object({ id: ConnectionId });
const readers = ["admin", "readonly"] as const;

const put = connections.put("/v1/connections/{id}", "putConnection", {
  summary: "Connect a channel to its remote (a Shopify shop, a Walmart seller account): its availability is pushed there and kept there (tenant admin)",
  description: [
    "The connection publishes the availability of `channel` (its pool, less its buffer, within its caps) to the remote location `locations.pool` (a Shopify location, a Walmart ship node, an Amazon fulfillment_channel_code),",
    "and each Shelfsync location of `locations.byLocation` its own available units (on hand less safety stock less reservations, no channel rule) to a remote location of its own;",
    "every change coalesced per SKU and sent within the remote's budget (Shopify's cost bucket; Walmart's pace of single updates and its 10 inventory feeds an hour). Credentials are write-only: stored encrypted, shown masked.",
    "`locations` needs at least one target, no remote location twice, at most 50 locations, each one the tenant has (else 422 unknown_location). A location taken out of `byLocation` is forgotten: nothing is sent to its remote location again.",
    "`settings.baseUrl` points the connection at another host (https, or http to localhost) for tests and sandboxes.",
    "PUT again to change it: another channel starts over from that channel's current availability; new credentials lift a rejection.",
  ].join(" "),
  request: { params: ConnectionParams, body: body(PutConnectionRequest) },
  responses: { 200: json(Connection, "The connection, credentials masked"), 201: json(Connection, "The connection, created") },
});

const list = connections.get("/v1/connections", "listConnections", {
  summary: "The tenant's connections, credentials masked; with include=status, each with its status",
  description:
    "include=status reads every connection's status in this one call (the connections are asked in parallel, six at a time): for a screen that shows every connection's lag, budget and last error, instead of one GET …/{id}/status per connection.",
  request: { query: IncludeStatusQuery },
  responses: { 200: json(ConnectionList, "The connections") },
});

const read = connections.get("/v1/connections/{id}", "getConnection", {
  summary: "A connection, credentials masked",
  request: { params: ConnectionParams },
  responses: { 200: json(Connection, "The connection") },
});

const status = connections.get("/v1/connections/{id}/status", "getConnectionStatus", {
  summary: "What the connection is doing: pending SKUs, the remote's budget, writes, throttling, sync lag, last error",
  request: { params: ConnectionParams },
  responses: { 200: json(ConnectionStatus, "The connection's status") },
});

const resync = connections.post("/v1/connections/{id}/resync", "resyncConnection", {
  summary: "Push every SKU's availability again, looked up afresh: for a shop whose figures changed behind Shelfsync's back (tenant admin)",
  description: "What the remote confirmed is forgotten; every SKU goes out again without a compare. Repeating it changes nothing more than doing it once.",
  request: { params: ConnectionParams },
  responses: { 202: json(Connection, "The connection; the push has started") },
});

const disable = connections.delete("/v1/connections/{id}", "disableConnection", {
  summary: "Stop a connection; its configuration and history stay, and a PUT resumes it (tenant admin)",
  request: { params: ConnectionParams },
  responses: { 200: json(Connection, "The connection, disabled") },
});

function notFound(id: string): never {
  throw new AppError("not_found", `No connection ${id}`);
}

export const connectionRoutes = createRouter()
  .openapi(put, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const access = await authorize(c, { roles: ["admin"], channel: input.channel });
    if (!access.channel) throw new AppError("unknown_channel", `No channel ${input.channel}; create it with PUT /v1/channels/${input.channel}`);
    const { tenantId } = access.principal;
    const mapped = Object.keys(input.locations.byLocation ?? {});
    if (mapped.length > 0) {
      const known = new Set((await access.registry.listLocations()).map((location) => location.id));
      const unknown = mapped.filter((location) => !known.has(location));
      if (unknown.length > 0) throw new AppError("unknown_location", `No location ${unknown.join(", ")}; create it with PUT /v1/locations/{location}`, { locations: unknown });
    }
    const object = channelConnection(c.env, tenantId, id);
    const before = await object.get();
    const { connection, created } = await object.configure(input);
    const index = availabilityIndex(c.env, tenantId);
    if (before && before.channel !== input.channel) await index.watch(before.channel, id, false);
    await tenantRegistry(c.env, tenantId).recordConnection({ id, type: connection.type, channel: connection.channel, enabled: connection.enabled });
    await index.watch(connection.channel, id, connection.enabled);
    await index.watchLocations(id, connection.enabled ? Object.keys(connection.locations.byLocation ?? {}) : []);
    return c.json(connection, created ? 201 : 200);
  })
  .openapi(list, async (c) => {
    const { include } = c.req.valid("query");
    const { principal } = await authorize(c, { roles: readers });
    const entries = await tenantRegistry(c.env, principal.tenantId).listConnections();
    const connections = await readLimited(entries, async (entry) => {
      const object = channelConnection(c.env, principal.tenantId, entry.id);
      const [connection, status] = await Promise.all([object.get(), include === "status" ? object.status() : null]);
      return connection && (status ? { ...connection, status } : connection);
    });
    return c.json({ connections }, 200);
  })
  .openapi(read, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    return c.json((await channelConnection(c.env, principal.tenantId, id).get()) ?? notFound(id), 200);
  })
  .openapi(status, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    return c.json((await channelConnection(c.env, principal.tenantId, id).status()) ?? notFound(id), 200);
  })
  .openapi(resync, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: ["admin"] });
    return c.json((await channelConnection(c.env, principal.tenantId, id).resync()) ?? notFound(id), 202);
  })
  .openapi(disable, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: ["admin"] });
    const connection = (await channelConnection(c.env, principal.tenantId, id).disable()) ?? notFound(id);
    await tenantRegistry(c.env, principal.tenantId).recordConnection({ id, type: connection.type, channel: connection.channel, enabled: false });
    const index = availabilityIndex(c.env, principal.tenantId);
    await index.watch(connection.channel, id, false);
    await index.watchLocations(id, []);
    return c.json(connection, 200);
  });
