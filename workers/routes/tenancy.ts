import { z } from "@hono/zod-openapi";
import { formatApiKey, newId, newKeySecret, sha256Hex } from "../../shared/ids.ts";
import { ChannelId, IdempotencyKeyHeader, LocationId } from "../../shared/schemas/common.ts";
import { ApiKey, Channel, CreateKeyRequest, CreateTenantRequest, CreateTenantResponse, KeyParams, Location, PutChannelRequest, PutLocationRequest, RotateKeyRequest, RotateKeyResponse, Tenant } from "../../shared/schemas/tenancy.ts";
import { authorize, requirePlatformOrPartner, tenantLookups } from "../auth.ts";
import { keyChecks } from "../middleware/authenticate.ts";
import { idempotencyOf, settle, unwrap } from "../idempotency.ts";
import { availabilityIndex, platformDirectory } from "../../durable/objects.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

const tenancy = routesOf("Tenancy");

const createTenant = tenancy.post("/v1/tenants", "createTenant", {
  summary: "Create a tenant (platform key, or a partner key: the tenant is then the partner's); its admin key is in the answer, once",
  request: { headers: IdempotencyKeyHeader, body: body(CreateTenantRequest) },
  responses: { 201: json(CreateTenantResponse, "The tenant and its admin key") },
});

const listTenants = tenancy.get("/v1/tenants", "listTenants", {
  summary: "Every tenant of the platform (platform key), or the calling partner's own (partner key)",
  responses: { 200: json(z.object({ tenants: z.array(Tenant) }), "The tenants") },
});

const readTenant = tenancy.get("/v1/tenant", "getCurrentTenant", {
  summary: "The tenant of the calling key",
  responses: { 200: json(Tenant, "The tenant") },
});

const createKey = tenancy.post("/v1/keys", "createApiKey", {
  summary: "Create an API key with a role (tenant admin); the secret is in the answer, once",
  request: { headers: IdempotencyKeyHeader, body: body(CreateKeyRequest) },
  responses: { 201: json(ApiKey, "The key") },
});

const listKeys = tenancy.get("/v1/keys", "listApiKeys", {
  summary: "The tenant's keys, without secrets",
  responses: { 200: json(z.object({ keys: z.array(ApiKey) }), "The keys") },
});

const revokeKey = tenancy.delete("/v1/keys/{id}", "revokeApiKey", {
  summary: "Revoke a key (tenant admin): refused everywhere within 30 seconds, with 401 key_revoked",
  description:
    "Revoking a revoked key answers it again. Another tenant's key id is 404, like an unknown one. The tenant's last usable admin key cannot be revoked (409 conflict): rotate it instead.",
  request: { params: KeyParams },
  responses: { 200: json(ApiKey, "The revoked key") },
});

const rotateKey = tenancy.post("/v1/keys/{id}/rotate", "rotateApiKey", {
  summary: "Issue a successor key with the same role and binding (tenant admin); the old key works until the overlap ends",
  description:
    "The successor's secret is in the answer, once. The old key then expires at the end of the overlap (or its own expiry, if sooner) and is refused with 401 key_expired. The successor shares the old key's idempotency records: a retry sent with the new key after a rotation gets the first answer. A key is rotated once (409 conflict after that: rotate its successor); a revoked or expired key cannot be rotated.",
  request: { params: KeyParams, headers: IdempotencyKeyHeader, body: body(RotateKeyRequest) },
  responses: { 201: json(RotateKeyResponse, "The successor (with its secret) and the old key") },
});

const putLocation = tenancy.put("/v1/locations/{location}", "upsertLocation", {
  summary: "Create or update a location (store, warehouse, 3pl)",
  request: { params: z.object({ location: LocationId }), headers: IdempotencyKeyHeader, body: body(PutLocationRequest) },
  responses: { 200: json(Location, "The location") },
});

const listLocations = tenancy.get("/v1/locations", "listLocations", {
  summary: "The tenant's locations",
  responses: { 200: json(z.object({ locations: z.array(Location) }), "The locations") },
});

const putChannel = tenancy.put("/v1/channels/{channel}", "upsertChannel", {
  summary: "Create or update a channel: its pool of locations (in priority order), buffer and caps",
  request: { params: z.object({ channel: ChannelId }), headers: IdempotencyKeyHeader, body: body(PutChannelRequest) },
  responses: { 200: json(Channel, "The channel") },
});

const listChannels = tenancy.get("/v1/channels", "listChannels", {
  summary: "The tenant's channels",
  responses: { 200: json(z.object({ channels: z.array(Channel) }), "The channels") },
});

async function mintKey(tenantId: string) {
  const secret = formatApiKey(tenantId, newKeySecret());
  return { secret, id: newId("key"), keyHash: await sha256Hex(secret) };
}

export const tenancyRoutes = createRouter()
  .openapi(createTenant, async (c) => {
    const owner = requirePlatformOrPartner(c);
    const input = c.req.valid("json");
    const idempotency = (await idempotencyOf(c, input, { required: true }))!;
    const key = await mintKey(input.id);
    const partner = owner.platform ? null : owner.partner.partnerId;
    const result = await platformDirectory(c.env).createTenant({ ...input, adminKey: key, partner }, idempotency);
    const created = settle(c, result);
    // Only the first answer carries the secret: the object never stores it.
    return c.json({ tenant: created.tenant, adminKey: { ...created.adminKey, key: result.replayed ? null : key.secret } }, 201);
  })
  .openapi(listTenants, async (c) => {
    const owner = requirePlatformOrPartner(c);
    return c.json({ tenants: await platformDirectory(c.env).listTenants(owner.platform ? {} : { partner: owner.partner.partnerId }) }, 200);
  })
  .openapi(readTenant, async (c) => {
    const { registry } = await authorize(c, { roles: ["admin", "channel", "store", "erp", "readonly"] });
    return c.json((await registry.getTenant())!, 200);
  })
  .openapi(createKey, async (c) => {
    const input = c.req.valid("json");
    const { registry, principal } = await authorize(c, { roles: ["admin"] });
    const idempotency = await idempotencyOf(c, input, { required: true });
    const key = await mintKey(principal.tenantId);
    const result = await registry.createKey(input, key, idempotency);
    const created = settle(c, result).key;
    return c.json({ ...created, key: result.replayed ? null : key.secret }, 201);
  })
  .openapi(listKeys, async (c) => {
    const { registry } = await authorize(c, { roles: ["admin"] });
    return c.json({ keys: await registry.listKeys() }, 200);
  })
  .openapi(revokeKey, async (c) => {
    const { id } = c.req.valid("param");
    const { registry } = await authorize(c, { roles: ["admin"] });
    const revoked = unwrap(await registry.revokeKey(id)).key;
    keyChecks.forget(id);
    return c.json(revoked, 200);
  })
  .openapi(rotateKey, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const { registry, principal } = await authorize(c, { roles: ["admin"] });
    const idempotency = await idempotencyOf(c, input, { required: true });
    const successor = await mintKey(principal.tenantId);
    const result = await registry.rotateKey(id, input, successor, idempotency);
    const rotated = settle(c, result);
    keyChecks.forget(id);
    return c.json({ key: { ...rotated.key, key: result.replayed ? null : successor.secret }, previous: rotated.previous }, 201);
  })
  .openapi(putLocation, async (c) => {
    const { location } = c.req.valid("param");
    const input = c.req.valid("json");
    const { registry, principal } = await authorize(c, { roles: ["admin"] });
    const idempotency = await idempotencyOf(c, input, { required: false });
    const saved = settle(c, await registry.putLocation(location, input, idempotency)).location;
    tenantLookups.forget(principal.tenantId, "location", location);
    return c.json(saved, 200);
  })
  .openapi(listLocations, async (c) => {
    const { registry } = await authorize(c, { roles: ["admin", "erp", "readonly"] });
    return c.json({ locations: await registry.listLocations() }, 200);
  })
  .openapi(putChannel, async (c) => {
    const { channel } = c.req.valid("param");
    const rules = c.req.valid("json");
    const { registry, principal } = await authorize(c, { roles: ["admin"] });
    const idempotency = await idempotencyOf(c, rules, { required: false });
    const saved = settle(c, await registry.putChannel(channel, rules, idempotency)).channel;
    tenantLookups.forget(principal.tenantId, "channel", channel);
    // The read model recomputes the channel's figures; PUT is safe to retry if this fails.
    await availabilityIndex(c.env, principal.tenantId).putChannel(channel, rules);
    return c.json(saved, 200);
  })
  .openapi(listChannels, async (c) => {
    const { registry } = await authorize(c, { roles: ["admin", "erp", "readonly"] });
    return c.json({ channels: await registry.listChannels() }, 200);
  });
