/**
 * Every Durable Object's name, built and parsed in one place. A name says
 * whose object it is: the tenant, and for objects of which a tenant has many,
 * the SKU, store or order after a slash. An object reads its identity from its
 * own name (`ctx.id.name`), so callers never pass it again and cannot
 * contradict it. Tenant ids cannot hold a slash (shared/schemas/common.ts), so
 * the first slash separates the tenant from the rest.
 */

import { fnv1a32 } from "../shared/fnv.ts";
import { sha256Hex } from "../shared/ids.ts";
import type { SessionOwner } from "../shared/session-tokens.ts";

/** The one platform directory's name. */
const platformName = "platform";

export interface PartnerIdentity {
  partnerId: string;
}

export interface TenantIdentity {
  tenantId: string;
}

export interface SkuIdentity extends TenantIdentity {
  sku: string;
}

export interface StoreIdentity extends TenantIdentity {
  location: string;
}

export interface CustomerIdentity extends TenantIdentity {
  customerId: string;
}

export interface OrderIdentity extends TenantIdentity {
  orderId: string;
}

export interface ImportIdentity extends TenantIdentity {
  importId: string;
}

/** One allotment shard of a SKU that is hot for a channel (a flash sale): named `<tenant>/<sku>/<channel>/<shard>`. */
export interface ShardIdentity extends SkuIdentity {
  channel: string;
  shard: number;
}

/** A remote application (e.g. an Amazon SP-API app) above every tenant that calls the remote as it. */
export interface ApplicationIdentity {
  remote: string;
  application: string;
}

export interface ConnectionIdentity extends TenantIdentity {
  connectionId: string;
}

function joined(tenantId: string, key: string): string {
  return `${tenantId}/${key}`;
}

function split(name: string): [tenantId: string, key: string] {
  const at = name.indexOf("/");
  if (at <= 0 || at === name.length - 1) throw new Error(`"${name}" is not a <tenant>/<key> object name`);
  return [name.slice(0, at), name.slice(at + 1)];
}

/** Turns an object's own name back into its identity; each object class names its parser in its set-up. */
export const parseName = {
  auditShard(name: string): TenantIdentity & { shard: number } {
    const match = /^([^/]+)(?:\/audit-(\d+))?$/.exec(name);
    if (!match) throw new Error(`"${name}" is not an audit object name`);
    return { tenantId: match[1]!, shard: Number(match[2] ?? 0) };
  },
  availabilityShard(name: string): TenantIdentity & { shard: number } {
    const match = /^([^/]+)\/availability-(\d+)$/.exec(name);
    if (!match) throw new Error(`"${name}" is not an availability shard name`);
    return { tenantId: match[1]!, shard: Number(match[2]) };
  },
  traceShard(name: string): TenantIdentity & { shard: number } {
    const match = /^([^/]+)\/trace-(\d+)$/.exec(name);
    if (!match) throw new Error(`"${name}" is not a trace log name`);
    return { tenantId: match[1]!, shard: Number(match[2]) };
  },
  tenant(name: string): TenantIdentity {
    if (name.length === 0 || name.includes("/")) throw new Error(`"${name}" is not a tenant object name`);
    return { tenantId: name };
  },
  sku(name: string): SkuIdentity {
    const [tenantId, sku] = split(name);
    return { tenantId, sku };
  },
  store(name: string): StoreIdentity {
    const [tenantId, location] = split(name);
    return { tenantId, location };
  },
  customer(name: string): CustomerIdentity {
    const [tenantId, customerId] = split(name);
    return { tenantId, customerId };
  },
  order(name: string): OrderIdentity {
    const [tenantId, orderId] = split(name);
    return { tenantId, orderId };
  },
  erpImport(name: string): ImportIdentity {
    const [tenantId, importId] = split(name);
    return { tenantId, importId };
  },
  connection(name: string): ConnectionIdentity {
    const [tenantId, connectionId] = split(name);
    return { tenantId, connectionId };
  },
  shard(name: string): ShardIdentity {
    const parts = name.split("/");
    const shard = Number(parts[3]);
    if (parts.length !== 4 || parts.some((part) => part.length === 0) || !Number.isInteger(shard) || shard < 0) {
      throw new Error(`"${name}" is not a <tenant>/<sku>/<channel>/<shard> object name`);
    }
    return { tenantId: parts[0]!, sku: parts[1]!, channel: parts[2]!, shard };
  },
  application(name: string): ApplicationIdentity {
    const at = name.indexOf(":");
    if (at <= 0 || at === name.length - 1) throw new Error(`"${name}" is not a <remote>:<application> object name`);
    return { remote: name.slice(0, at), application: name.slice(at + 1) };
  },
  partner(name: string): PartnerIdentity {
    if (!/^[a-z0-9-]{1,40}$/.test(name)) throw new Error(`"${name}" is not a partner object name`);
    return { partnerId: name };
  },
  sessionOwner(name: string): SessionOwner {
    const match = /^(tenant|partner):([a-z0-9-]{1,40})$/.exec(name);
    if (!match) throw new Error(`"${name}" is not a tenant:<id> or partner:<id> object name`);
    return { kind: match[1] as SessionOwner["kind"], id: match[2]! };
  },
  platform(name: string): Record<string, never> {
    if (name !== platformName) throw new Error(`"${name}" is not the platform directory's name`);
    return {};
  },
};

/** The Durable Object that owns one tenant's SKU. */
export function skuObject(env: Env, tenantId: string, sku: string) {
  return env.SKU_INVENTORY.getByName(joined(tenantId, sku));
}

/** Shard `shard` (0-based) of a SKU's flash sale on `channel`: it reserves from units the SKU object allotted to it. */
export function allotmentShard(env: Env, tenantId: string, sku: string, channel: string, shard: number) {
  return env.ALLOTMENT_SHARD.getByName([tenantId, sku, channel, shard].join("/"));
}

/** The object that serializes one store's POS transactions into inventory. */
export function storeIngest(env: Env, tenantId: string, location: string) {
  return env.STORE_INGEST.getByName(joined(tenantId, location));
}

/** Every store's health as its agent reports it, for one tenant. */
export function storeHealthBoard(env: Env, tenantId: string) {
  return env.STORE_HEALTH_BOARD.getByName(tenantId);
}

/** The customers of one tenant and its loyalty programme's settings (docs/decisions/0039-customers.md). */
export function customerDirectory(env: Env, tenantId: string) {
  return env.CUSTOMER_DIRECTORY.getByName(tenantId);
}

/** The leases one store holds and whether it is heard from (docs/decisions/0033). */
export function storeLeases(env: Env, tenantId: string, location: string) {
  return env.STORE_LEASES.getByName(joined(tenantId, location));
}

/**
 * The order id of a natural key: the same (tenant, channel, externalId)
 * always names the same order object, so a re-sent order finds the first.
 *
 * @example
 * await orderIdOf("acme", "web", "SHOP-10042") // "ord_3f1c…" (26 hex digits)
 */
export async function orderIdOf(tenantId: string, channel: string, externalId: string): Promise<string> {
  return `ord_${(await sha256Hex(JSON.stringify([tenantId, channel, externalId]))).slice(0, 26)}`;
}

/** The Durable Object of one order: its state machine, its saga log and its reservations. */
/** One customer's points ledger (docs/decisions/0038). */
export function customerLoyalty(env: Env, tenantId: string, customerId: string) {
  return env.CUSTOMER_LOYALTY.getByName(joined(tenantId, customerId));
}

export function orderProcess(env: Env, tenantId: string, orderId: string) {
  return env.ORDER_PROCESS.getByName(joined(tenantId, orderId));
}

/** One connection of a tenant to a channel's remote (a Shopify shop): what it pushes there and how far it got. */
export function channelConnection(env: Env, tenantId: string, connectionId: string) {
  return env.CHANNEL_CONNECTION.getByName(joined(tenantId, connectionId));
}

/** The availability read model of one tenant. */
export function availabilityIndex(env: Env, tenantId: string) {
  return env.AVAILABILITY_INDEX.getByName(tenantId);
}

/**
 * A tenant's availability read shards: each holds the channel figures of the
 * SKUs whose name falls in it, copied from the index, so that reads of a
 * tenant are spread over this many objects (docs/decisions/0042).
 */
export const availabilityShards = 8;

/** The read shard that holds `sku`'s figures (FNV-1a of the name: SKU names are not random). */
export function availabilityShardOf(sku: string): number {
  return fnv1a32(sku) % availabilityShards;
}

/** One of a tenant's availability read shards. */
export function availabilityShard(env: Env, tenantId: string, shard: number) {
  return env.AVAILABILITY_SHARD.getByName(`${tenantId}/availability-${shard}`);
}

/** The registry (keys, locations, channels) of one tenant. */
export function tenantRegistry(env: Env, tenantId: string) {
  return env.TENANT_REGISTRY.getByName(tenantId);
}

/**
 * The budget one remote application shares across every tenant (Amazon's
 * per-application rates): named by the remote and a digest of the
 * application's client id, which stays out of object names.
 */
export async function applicationBudget(env: Env, remote: string, clientId: string) {
  return env.APPLICATION_BUDGET.getByName(`${remote}:${(await sha256Hex(clientId)).slice(0, 32)}`);
}

/** The platform operator's directory of tenants (a single object). */
export function platformDirectory(env: Env) {
  return env.PLATFORM_DIRECTORY.getByName(platformName);
}

/** One partner's object: its keys and its logo (the platform directory lists partners and their brands). */
export function partnerDirectory(env: Env, partnerId: string) {
  return env.PARTNER_DIRECTORY.getByName(partnerId);
}

/** The console sessions of one tenant's keys or one partner's keys (docs/decisions/0035-console.md). */
export function consoleSessions(env: Env, owner: SessionOwner) {
  return env.CONSOLE_SESSIONS.getByName(`${owner.kind}:${owner.id}`);
}

/** The catalog (items, barcodes, prices, promotions) of one tenant, and its feed. */
export function catalogStore(env: Env, tenantId: string) {
  return env.CATALOG_STORE.getByName(tenantId);
}

/** The exceptions of one tenant: what a person should look at. */
export function exceptionQueue(env: Env, tenantId: string) {
  return env.EXCEPTION_QUEUE.getByName(tenantId);
}

/** The Shopify connection of one tenant: its webhook secret, channel and handled webhook ids. */
export function shopifyIntegration(env: Env, tenantId: string) {
  return env.SHOPIFY_INTEGRATION.getByName(tenantId);
}

/** The returns (RMAs) of one tenant, and per order the units already returned. */
export function tenantReturns(env: Env, tenantId: string) {
  return env.TENANT_RETURNS.getByName(tenantId);
}

/** The list of one tenant's orders (by status and channel) and its order settings. */
export function orderIndex(env: Env, tenantId: string) {
  return env.ORDER_INDEX.getByName(tenantId);
}

/** The tenant's event webhook (URL, signing secret) and the failures of events still being retried. */
export function eventWebhook(env: Env, tenantId: string) {
  return env.EVENT_WEBHOOK.getByName(tenantId);
}

/**
 * How many objects hold a tenant's audit trail: each write is recorded in
 * one of them (by its request id), so a tenant's writes are not bounded by
 * one object (docs/decisions/0032-audit-trail-shards.md).
 */
export const auditShards = 8;

/** A tenant's trace logs: a trace's hops live in the shard its id names. */
export const traceShards = 8;

/** The trace log that holds `traceId`'s hops. */
export function traceLog(env: Env, tenantId: string, traceId: string) {
  return env.TRACE_LOG.getByName(`${tenantId}/trace-${traceShardOf(traceId)}`);
}

/** A trace id's shard: its last hex digits, which W3C ids make random. */
export function traceShardOf(traceId: string): number {
  return Number.parseInt(traceId.slice(-4), 16) % traceShards;
}

/** One of the objects of a tenant's audit trail (shard 0 is named after the tenant, as the trail's only object was). */
export function tenantAudit(env: Env, tenantId: string, shard = 0) {
  return env.TENANT_AUDIT.getByName(shard === 0 ? tenantId : `${tenantId}/audit-${shard}`);
}

/** The books of one tenant: sources booked once, daily journals per location × channel, posted at the cut-off. */
export function financeLedger(env: Env, tenantId: string) {
  return env.FINANCE_LEDGER.getByName(tenantId);
}

/** The payouts (settlements) of one tenant: each line and what it matched, booked into the finance ledger. */
export function tenantSettlements(env: Env, tenantId: string) {
  return env.TENANT_SETTLEMENTS.getByName(tenantId);
}

/** The tenant's ERP settings: column mappings per import type, and the index of its imports by id and checksum. */
export function tenantErp(env: Env, tenantId: string) {
  return env.TENANT_ERP.getByName(tenantId);
}

/** One ERP import (one file) of a tenant: its staged rows, its progress and its report. */
export function erpImport(env: Env, tenantId: string, importId: string) {
  return env.ERP_IMPORT.getByName(joined(tenantId, importId));
}

/** One ERP connection of a tenant (NetSuite, Business Central, files): the ledger's posted journals, each handed to the ERP once. */
export function erpConnection(env: Env, tenantId: string, connectionId: string) {
  return env.ERP_CONNECTION.getByName(joined(tenantId, connectionId));
}
