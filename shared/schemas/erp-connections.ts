import { z } from "@hono/zod-openapi";
import { identifierCharacters, identifierPattern, Timestamp } from "./common.ts";
import { ConnectionId, ConnectionState, RemoteBaseUrl, isSecureOrLoopback } from "./connections.ts";

const InternalId = z.string().regex(/^\d{1,18}$/, "a NetSuite internal id (digits)").openapi({ example: "58" });
const SkuKey = z.string().regex(identifierPattern, `a SKU: ${identifierCharacters}`);
const ChannelKey = z.string().regex(identifierPattern, `a channel id: ${identifierCharacters}`);
const salesDocumentsEnabled = z.boolean().default(false).openapi({ description: "Send each order's sales documents (decision 0027). Off unless set, so a connection made before them keeps sending journals only." });

/** A connection that sends sales documents needs a customer to put them under. */
function customerWhenEnabled(field: string) {
  return (value: { enabled: boolean } & Record<string, unknown>, context: z.RefinementCtx) => {
    if (value.enabled && value[field] === undefined) context.addIssue({ code: "custom", path: [field], message: `${field} is required when sales documents are enabled` });
  };
}

export const NetSuiteSalesDocumentSettings = z
  .object({
    enabled: salesDocumentsEnabled,
    customer: InternalId.optional().openapi({ description: "The customer (entity) internal id every sales order goes under, unless its channel has one in customersByChannel." }),
    customersByChannel: z.record(ChannelKey, InternalId).default({}).openapi({ description: "Channel → customer internal id." }),
    items: z
      .record(SkuKey, InternalId)
      .default({})
      .openapi({ description: "SKU → item internal id. A document with an unmapped SKU is refused without a call (an erp_sales_document_refused exception): NetSuite documents external ids in a body only as the record's own id, not as a reference to another record." }),
  })
  .strict()
  .superRefine(customerWhenEnabled("customer"))
  .openapi("NetSuiteSalesDocumentSettings");

export const BusinessCentralSalesDocumentSettings = z
  .object({
    enabled: salesDocumentsEnabled,
    customerNumber: z.string().min(1).max(20).optional().openapi({ description: "The customer number every sales order goes under, unless its channel has one in customersByChannel." }),
    customersByChannel: z.record(ChannelKey, z.string().min(1).max(20)).default({}),
    items: z.record(SkuKey, z.string().min(1).max(20)).default({}).openapi({ description: "SKU → item number (lineObjectNumber); an unmapped SKU is sent as its own item number." }),
  })
  .strict()
  .superRefine(customerWhenEnabled("customerNumber"))
  .openapi("BusinessCentralSalesDocumentSettings");

export const FileSalesDocumentSettings = z
  .object({
    enabled: salesDocumentsEnabled,
    customer: z.string().min(1).max(100).optional().openapi({ description: "The Customer column of every sales order row (a NetSuite customer's name or id); empty when not set." }),
  })
  .strict()
  .openapi("FileSalesDocumentSettings");

export const NetSuiteConnectionSettings = z
  .object({
    accountId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/, "the NetSuite account id, e.g. 1234567 or 1234567_SB1")
      .openapi({ example: "1234567" }),
    baseUrl: RemoteBaseUrl.optional().openapi({ description: "Send REST and token calls here instead of https://<accountId>.suitetalk.api.netsuite.com (tests, sandboxes)." }),
    subsidiary: InternalId.optional().openapi({ description: "The subsidiary's internal id, on every journal (OneWorld accounts)." }),
    accounts: z
      .record(z.string().min(1).max(64), InternalId)
      .default({})
      .openapi({ description: "Account number of the finance mapping → NetSuite account internal id. A journal with an unmapped account is refused (an exception) without a call." }),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(65)
      .default(5)
      .openapi({ description: "Requests in flight at once: the account's concurrency limit, shared by all its integrations (5 on the shared tier, plus 10 per SuiteCloud Plus licence). Set it to this integration's share." }),
    salesDocuments: NetSuiteSalesDocumentSettings.default({ enabled: false, customersByChannel: {}, items: {} }).openapi({ description: "Each order's sales documents as sales orders upserted by external id (PUT …/salesOrder/eid:…): a non-posting record, since the journals carry the money." }),
  })
  .strict()
  .openapi("NetSuiteConnectionSettings");
export type NetSuiteConnectionSettings = z.infer<typeof NetSuiteConnectionSettings>;

export const NetSuiteCredentials = z
  .object({
    clientId: z.string().min(8).max(256).openapi({ description: "The integration record's client id (Client Credentials (M2M) grant, scope rest_webservices)." }),
    certificateId: z.string().min(8).max(256).openapi({ description: "The certificate id of the M2M mapping: the JWT's kid." }),
    privateKey: z
      .string()
      .min(100)
      .max(8_000)
      .regex(/-----BEGIN PRIVATE KEY-----/, "a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)")
      .openapi({ description: "The certificate's private key, PKCS#8 PEM, EC P-256 (ES256) or RSA (PS256): it signs the client assertion. Write-only: stored encrypted, shown masked." }),
  })
  .strict()
  .openapi("NetSuiteCredentials");
export type NetSuiteCredentials = z.infer<typeof NetSuiteCredentials>;

/** Where a file is delivered: https, or http to this machine (tests); a path is allowed. */
const DeliveryUrl = z.string().max(500).url().refine(isSecureOrLoopback, "https, or http to 127.0.0.1 / localhost only").openapi({ example: "https://erp.example.com/inbox/journals" });

export const FileConnectionSettings = z
  .object({
    deliverTo: DeliveryUrl.optional().openapi({ description: "POST each journal's CSV here once (Idempotency-Key: the journal's external id), retried until a 2xx. Without it, the files are only downloadable." }),
    salesDocuments: FileSalesDocumentSettings.default({ enabled: false }).openapi({ description: "Each order's sales documents as a CSV each (NetSuite's sales order import layout), downloadable and delivered to `deliverTo` like journals." }),
  })
  .strict()
  .openapi("FileConnectionSettings");
export type FileConnectionSettings = z.infer<typeof FileConnectionSettings>;

export const FileCredentials = z
  .object({ bearerToken: z.string().min(8).max(2048).optional().openapi({ description: "Sent as `Authorization: Bearer` with each delivery. Write-only." }) })
  .strict()
  .openapi("FileCredentials");
export type FileCredentials = z.infer<typeof FileCredentials>;

export const BusinessCentralConnectionSettings = z
  .object({
    directoryId: z.string().regex(/^[A-Za-z0-9.-]{3,100}$/, "the Microsoft Entra tenant (directory) id or domain").openapi({ example: "contoso.onmicrosoft.com" }),
    environment: z.string().regex(/^[A-Za-z0-9_-]{1,50}$/).default("production"),
    companyId: z.string().uuid().openapi({ example: "b6c3f9a0-3c1e-4c7a-9a55-1b2f0f3a4d11" }),
    baseUrl: RemoteBaseUrl.optional().openapi({ description: "Send API calls here instead of https://api.businesscentral.dynamics.com (tests)." }),
    tokenUrl: z.string().max(500).url().refine(isSecureOrLoopback, "https, or http to 127.0.0.1 / localhost only").optional().openapi({ description: "Get tokens here instead of Microsoft Entra's token endpoint (tests)." }),
    journalCode: z.string().regex(/^[A-Z0-9_-]{1,10}$/, "a journal batch code, up to 10 characters").default("SHELFSYNC").openapi({ description: "The code of the journals Shelfsync creates (one per posted journal, displayName its external id)." }),
    requestsPerFiveMinutes: z.number().int().min(1).max(6_000).default(6_000).openapi({ description: "Business Central allows 6,000 requests per 5 minutes per user; a $batch counts its operations." }),
    salesDocuments: BusinessCentralSalesDocumentSettings.default({ enabled: false, customersByChannel: {}, items: {} }).openapi({ description: "Each order's sales documents as salesOrders (externalDocumentNumber from the external id) with their salesOrderLines, looked up before they are created." }),
  })
  .strict()
  .openapi("BusinessCentralConnectionSettings");
export type BusinessCentralConnectionSettings = z.infer<typeof BusinessCentralConnectionSettings>;

export const BusinessCentralCredentials = z
  .object({
    clientId: z.string().min(8).max(256),
    clientSecret: z.string().min(8).max(512).openapi({ description: "Write-only: stored encrypted, shown masked." }),
  })
  .strict()
  .openapi("BusinessCentralCredentials");
export type BusinessCentralCredentials = z.infer<typeof BusinessCentralCredentials>;

function erpRequest<Type extends string, Settings extends z.ZodType, Credentials extends z.ZodType>(type: Type, settings: Settings, credentials: Credentials) {
  return z.object({ type: z.literal(type), settings, credentials, enabled: z.boolean().default(true) }).strict();
}

export const PutErpConnectionRequest = z
  .discriminatedUnion("type", [
    erpRequest("netsuite", NetSuiteConnectionSettings, NetSuiteCredentials),
    erpRequest("business-central", BusinessCentralConnectionSettings, BusinessCentralCredentials),
    erpRequest("file", FileConnectionSettings, FileCredentials.default({})),
  ])
  .openapi("PutErpConnectionRequest");
export type PutErpConnectionRequest = z.infer<typeof PutErpConnectionRequest>;
export type ErpType = PutErpConnectionRequest["type"];

const masked = z.record(z.string(), z.string()).openapi({ description: "Each credential masked: only its last 4 characters show.", example: { clientId: "••••••••3f9a" } });
const base = { id: ConnectionId, enabled: z.boolean(), credentials: masked, createdAt: Timestamp, updatedAt: Timestamp };

export const ErpConnection = z
  .discriminatedUnion("type", [
    z.object({ ...base, type: z.literal("netsuite"), settings: NetSuiteConnectionSettings }),
    z.object({ ...base, type: z.literal("business-central"), settings: BusinessCentralConnectionSettings }),
    z.object({ ...base, type: z.literal("file"), settings: FileConnectionSettings }),
  ])
  .openapi("ErpConnection");
export type ErpConnection = z.infer<typeof ErpConnection>;


export const ErpJournalState = z.enum(["pending", "posted", "refused"]).openapi({
  description: "pending: not taken by the ERP yet (retried with backoff); posted: the ERP holds it (file: downloadable, and delivered if `deliverTo` is set); refused: the ERP refused it, an erp_journal_refused exception holds why.",
});
export type ErpJournalState = z.infer<typeof ErpJournalState>;

export const ErpConnectionStatus = z
  .object({
    id: ConnectionId,
    type: z.enum(["netsuite", "business-central", "file"]),
    state: ConnectionState,
    pending: z.object({
      journals: z.number().int(),
      oldestAgeSeconds: z.number().nullable().openapi({ description: "Since the oldest pending journal was posted in Shelfsync's books; null when none waits." }),
    }),
    refused: z.number().int().openapi({ description: "Journals the ERP refused (each an open erp_journal_refused exception until replayed)." }),
    salesDocuments: z.object({
      pending: z.number().int(),
      oldestAgeSeconds: z.number().nullable().openapi({ description: "Since the order event of the oldest pending sales document; null when none waits." }),
      refused: z.number().int().openapi({ description: "Sales documents the ERP refused (each an open erp_sales_document_refused exception until replayed)." }),
      cursor: z.string().openapi({ description: "How far in the ledger's sales documents the connection has read." }),
    }),
    lastHour: z.object({ posted: z.number().int(), requests: z.number().int(), throttled: z.number().int().openapi({ description: "Answers in which the ERP said to slow down (429)." }) }),
    budget: z.object({
      concurrency: z.number().int().nullable().openapi({ description: "NetSuite: requests in flight at most." }),
      requestsPerFiveMinutes: z.number().int().nullable().openapi({ description: "Business Central: the request budget." }),
      remaining: z.number().int().nullable(),
    }),
    lastError: z.object({ at: Timestamp, message: z.string() }).nullable(),
    cursor: z.string().openapi({ description: "How far in the ledger's posted journals the connection has read." }),
  })
  .openapi("ErpConnectionStatus");
export type ErpConnectionStatus = z.infer<typeof ErpConnectionStatus>;

export const ErpConnectionList = z
  .object({
    connections: z.array(
      z.intersection(ErpConnection, z.object({ status: ErpConnectionStatus.optional() })),
    ),
  })
  .openapi("ErpConnectionList");
export type ErpConnectionList = z.infer<typeof ErpConnectionList>;

export const ErpFile = z
  .object({
    journalId: z.string().openapi({ description: "The journal's external id, on every row of its file.", example: "JE-acme-2026-11-23-store-a-pos-0" }),
    date: z.string(),
    location: z.string(),
    channel: z.string(),
    delivered: z.boolean().openapi({ description: "Whether `deliverTo` took it (always false without `deliverTo`)." }),
    deliveredAt: Timestamp.nullable(),
  })
  .openapi("ErpFile");
export type ErpFile = z.infer<typeof ErpFile>;

export const ErpFileList = z.object({ files: z.array(ErpFile), nextCursor: z.string().nullable() }).openapi("ErpFileList");
export type ErpFileList = z.infer<typeof ErpFileList>;

export const ErpSalesDocument = z
  .object({
    externalId: z.string().openapi({ description: "Shelfsync's external id of the document (the order's idempotency key, `~<n>` for its n-th document).", example: "web:SHOP-10042" }),
    remoteId: z.string().openapi({ description: "The id the ERP holds it under: NetSuite's external id (characters outside letters, digits and '-' escaped as _XX), Business Central's externalDocumentNumber, or the file's External ID.", example: "web_3ASHOP-10042" }),
    orderId: z.string(),
    channel: z.string(),
    location: z.string(),
    date: z.string(),
    state: ErpJournalState,
    postedAt: Timestamp.nullable(),
    lastError: z.string().nullable(),
  })
  .openapi("ErpSalesDocument");
export type ErpSalesDocument = z.infer<typeof ErpSalesDocument>;

export const ErpSalesDocumentList = z.object({ documents: z.array(ErpSalesDocument), nextCursor: z.string().nullable() }).openapi("ErpSalesDocumentList");
export type ErpSalesDocumentList = z.infer<typeof ErpSalesDocumentList>;
