import { z } from "@hono/zod-openapi";
import { PlainText, TenantId, Timestamp } from "./common.ts";
import { ApiKey, RotateKeyRequest } from "./tenancy.ts";

/** A partner id: the same shape as a tenant id (1-40 lowercase letters, digits or '-'; never '_', which separates a key's parts). */
export const PartnerId = TenantId.openapi({ example: "northwind-integrations" });

export const CreatePartnerRequest = z
  .object({
    id: PartnerId,
    name: PlainText(200).openapi({ example: "Northwind Integrations" }),
  })
  .strict()
  .openapi("CreatePartnerRequest");
export type CreatePartnerRequest = z.infer<typeof CreatePartnerRequest>;

export const Partner = z.object({ id: PartnerId, name: z.string(), createdAt: Timestamp }).openapi("Partner");
export type Partner = z.infer<typeof Partner>;

/** A partner's key: always the partner's admin (it manages the partner's tenants, keys, usage and branding). */
export const PartnerKey = ApiKey.omit({ role: true, channel: true, location: true })
  .extend({ role: z.literal("partner") })
  .openapi("PartnerKey");
export type PartnerKey = z.infer<typeof PartnerKey>;

export const CreatePartnerResponse = z.object({ partner: Partner, adminKey: PartnerKey }).openapi("CreatePartnerResponse");

export const PartnerParams = z.object({ partner: PartnerId });
export const PartnerKeyParams = PartnerParams.extend({ id: z.string().min(1).max(64).openapi({ example: "key_5k2m0w3x9q2k4m6n8p1r" }) });

export const CreatePartnerKeyRequest = z
  .object({ name: PlainText(200).optional(), expiresAt: z.iso.datetime({ offset: true }).optional() })
  .strict()
  .openapi("CreatePartnerKeyRequest");
export type CreatePartnerKeyRequest = z.infer<typeof CreatePartnerKeyRequest>;

export { RotateKeyRequest };

export const RotatePartnerKeyResponse = z
  .object({
    key: PartnerKey.openapi({ description: "The successor, with its secret in `key` (null on a replay)." }),
    previous: PartnerKey.openapi({ description: "The rotated key, now with its expiresAt and replacedBy." }),
  })
  .openapi("RotatePartnerKeyResponse");

/** The request header by which a partner key acts on one of its tenants, as that tenant's admin. */
export const tenantHeader = "x-shelfsync-tenant";

/** A calendar month, UTC. */
export const UsageMonth = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a month as YYYY-MM")
  .openapi({ example: "2026-12" });

export const UsageQuery = z.object({
  month: UsageMonth,
  format: z.enum(["json", "csv"]).optional().openapi({ description: "csv: the same rows as text/csv (so does Accept: text/csv)." }),
});

export const TenantUsage = z
  .object({
    tenant: TenantId,
    posTransactions: z.number().int().openapi({ description: "POS transactions accepted in the month (by the edge's time of receipt), exact." }),
    orders: z.number().int().openapi({ description: "Orders admitted in the month, exact." }),
    apiCalls: z.number().int().openapi({ description: "Requests with a valid key of the tenant (or a partner key acting on it) admitted in the month; counted per isolate and flushed in batches, so a few may be missing (see decision 0034)." }),
    connectorWrites: z.number().int().openapi({ description: "Calls that changed a remote (channel writes, feeds, shipment confirmations; ERP requests) in the month, exact." }),
    stores: z.number().int().openapi({ description: "Locations of type store, as of the request (not at month end)." }),
    skus: z.number().int().openapi({ description: "Catalog items, as of the request (not at month end)." }),
  })
  .openapi("TenantUsage");
export type TenantUsage = z.infer<typeof TenantUsage>;

export const UsageReport = z
  .object({ partner: PartnerId, month: UsageMonth, tenants: z.array(TenantUsage) })
  .openapi("UsageReport");
export type UsageReport = z.infer<typeof UsageReport>;

const HexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, "a colour as #rrggbb").openapi({ example: "#0a5fff" });

/** A host name the partner's brand is served on: lowercase DNS labels, at least two, no port. */
export const HostName = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/, "a lowercase host name such as console.example.com, without a port")
  .openapi({ example: "ops.northwind.example" });

export const BrandColors = z
  .object({ primary: HexColor, accent: HexColor.optional(), background: HexColor.optional(), text: HexColor.optional() })
  .strict();

export const SupportContact = z
  .object({
    email: z.email().max(254).optional(),
    url: z.url({ protocol: /^https?$/ }).max(2_000).optional(),
  })
  .strict()
  .refine((value) => value.email !== undefined || value.url !== undefined, { message: "give a support email, a support url or both" });

export const PutBrandingRequest = z
  .object({
    displayName: PlainText(200).openapi({ example: "Northwind Ops" }),
    colors: BrandColors,
    support: SupportContact,
    hosts: z
      .array(HostName)
      .max(20)
      .default([])
      .refine((hosts) => new Set(hosts).size === hosts.length, { message: "a host name appears twice" })
      .openapi({ description: "Host names the brand is served on; each belongs to one partner at most (409 conflict otherwise)." }),
  })
  .strict()
  .openapi("PutBrandingRequest");
export type PutBrandingRequest = z.infer<typeof PutBrandingRequest>;

export const LogoInfo = z
  .object({ url: z.string(), contentType: z.string(), bytes: z.number().int(), updatedAt: Timestamp })
  .openapi("LogoInfo");
export type LogoInfo = z.infer<typeof LogoInfo>;

export const Branding = z
  .object({
    partner: PartnerId,
    displayName: z.string(),
    colors: BrandColors,
    support: z.object({ email: z.string().optional(), url: z.string().optional() }),
    hosts: z.array(z.string()),
    logo: LogoInfo.nullable(),
    updatedAt: Timestamp,
  })
  .openapi("Branding");
export type Branding = z.infer<typeof Branding>;

/** The brand a host shows: a partner's, or Shelfsync's own (partner null) on any other host. */
export const HostBranding = z
  .object({
    partner: PartnerId.nullable(),
    displayName: z.string(),
    colors: BrandColors,
    support: z.object({ email: z.string().optional(), url: z.string().optional() }),
    logoUrl: z.string().nullable(),
  })
  .openapi("HostBranding");
export type HostBranding = z.infer<typeof HostBranding>;

/** Largest logo accepted, bytes. */
export const maxLogoBytes = 256 * 1024;
