import { minorToDecimal } from "../../shared/money.ts";
import type { ExportedJournal } from "../../shared/journal-csv.ts";
import { salesDocumentMemo } from "../../shared/sales-document-csv.ts";
import { netsuiteExternalIdOf } from "../../shared/sales-document-ids.ts";
import type { SalesDocument } from "../../shared/schemas/finance.ts";
import type { NetSuiteConnectionSettings, NetSuiteCredentials } from "../../shared/schemas/erp-connections.ts";
import { erpCall, fetchBearerToken, type BearerToken, type ErpAnswer } from "./erp-answer.ts";

/*
 * NetSuite REST web services calls an ERP connection makes (REFERENCE.md §4):
 * a token by the OAuth 2.0 client credentials (M2M) flow, its client
 * assertion a JWT signed with the certificate's private key; and a journal
 * entry upserted by external id, so sending it again never makes two.
 */

const encoder = new TextEncoder();

export function netsuiteBaseUrl(settings: NetSuiteConnectionSettings): string {
  return settings.baseUrl ?? `https://${settings.accountId.toLowerCase().replaceAll("_", "-")}.suitetalk.api.netsuite.com`;
}

function base64url(bytes: Uint8Array | string): string {
  const raw = typeof bytes === "string" ? encoder.encode(bytes) : bytes;
  return btoa(String.fromCharCode(...raw)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function pemBytes(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
}

/** The private key as a signing key: EC P-256 signs ES256, RSA signs PS256 (both are among NetSuite's accepted algorithms). */
export async function signingKeyOf(privateKey: string): Promise<{ alg: "ES256" | "PS256"; key: CryptoKey } | null> {
  let bytes: Uint8Array;
  try {
    bytes = pemBytes(privateKey);
  } catch {
    return null;
  }
  try {
    return { alg: "ES256", key: await crypto.subtle.importKey("pkcs8", bytes, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]) };
  } catch {
    // Not an EC P-256 key: perhaps RSA.
  }
  try {
    return { alg: "PS256", key: await crypto.subtle.importKey("pkcs8", bytes, { name: "RSA-PSS", hash: "SHA-256" }, false, ["sign"]) };
  } catch {
    return null;
  }
}

/** The client assertion: iss the client id, kid the certificate id, aud the token endpoint, valid 5 minutes (NetSuite allows under 60). */
async function clientAssertion(credentials: NetSuiteCredentials, tokenUrl: string, now: number): Promise<string | null> {
  const signing = await signingKeyOf(credentials.privateKey);
  if (!signing) return null;
  const iat = Math.floor(now / 1000);
  const header = base64url(JSON.stringify({ typ: "JWT", alg: signing.alg, kid: credentials.certificateId }));
  const payload = base64url(JSON.stringify({ iss: credentials.clientId, scope: "rest_webservices", aud: tokenUrl, iat, exp: iat + 300 }));
  const algorithm = signing.alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "RSA-PSS", saltLength: 32 };
  const signature = new Uint8Array(await crypto.subtle.sign(algorithm, signing.key, encoder.encode(`${header}.${payload}`)));
  return `${header}.${payload}.${base64url(signature)}`;
}

export async function fetchNetSuiteToken(settings: NetSuiteConnectionSettings, credentials: NetSuiteCredentials, now: number): Promise<ErpAnswer<BearerToken>> {
  const tokenUrl = `${netsuiteBaseUrl(settings)}/services/rest/auth/oauth2/v1/token`;
  const assertion = await clientAssertion(credentials, tokenUrl, now);
  if (!assertion) return { ok: false, kind: "rejected", message: "the private key is not a PKCS#8 EC P-256 or RSA key" };
  return fetchBearerToken("NetSuite", tokenUrl, { grant_type: "client_credentials", client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion }, now);
}

/** A reference to a record by internal id, when the mapped value is one (digits); otherwise left out. */
function reference(value: string | undefined): { id: string } | undefined {
  return value !== undefined && /^\d+$/.test(value) ? { id: value } : undefined;
}

/**
 * The journal entry's body: header fields, then one line per journal line,
 * its account by internal id from the connection's map. Null (and the
 * accounts missing) when an account is not mapped.
 */
export function journalEntryBody(journal: ExportedJournal, settings: NetSuiteConnectionSettings): { body: Record<string, unknown> } | { unmapped: string[] } {
  const unmapped = [...new Set(journal.lines.map((line) => line.account).filter((account) => settings.accounts[account] === undefined))];
  if (unmapped.length > 0) return { unmapped };
  const dimensions = { location: reference(journal.locationDimension), department: reference(journal.department), class: reference(journal.class) };
  return {
    body: {
      externalId: journal.id,
      tranDate: journal.date,
      memo: `${journal.adjustment ? `Adjustment ${journal.sequence} to the` : "Daily"} journal of ${journal.date}, ${journal.location} × ${journal.channel} (${journal.currency})`,
      ...(settings.subsidiary ? { subsidiary: { id: settings.subsidiary } } : {}),
      line: {
        items: journal.lines.map((line) => ({
          account: { id: settings.accounts[line.account]! },
          ...(line.debit > 0 ? { debit: Number(minorToDecimal(line.debit, journal.currency)) } : { credit: Number(minorToDecimal(line.credit, journal.currency)) }),
          memo: line.memo,
          ...Object.fromEntries(Object.entries(dimensions).filter(([, value]) => value !== undefined)),
        })),
      },
    },
  };
}

/**
 * The sales order of a sales document: a non-posting record (the journals
 * carry the money), under the channel's customer, each line's item by
 * internal id from `salesDocuments.items`, its amount net of the discount.
 * The SKUs without an internal id when any is unmapped.
 */
export function salesOrderBody(document: SalesDocument, settings: NetSuiteConnectionSettings): { body: Record<string, unknown> } | { unmapped: string[] } {
  const { items, customer, customersByChannel } = settings.salesDocuments;
  const unmapped = [...new Set(document.lines.map((line) => line.sku).filter((sku) => items[sku] === undefined))];
  if (unmapped.length > 0) return { unmapped };
  const money = (minor: number) => Number(minorToDecimal(minor, document.currency));
  return {
    body: {
      externalId: netsuiteExternalIdOf(document.externalId),
      entity: { id: customersByChannel[document.channel] ?? customer },
      tranDate: document.date,
      memo: salesDocumentMemo(document),
      ...(settings.subsidiary ? { subsidiary: { id: settings.subsidiary } } : {}),
      ...(document.shipping > 0 ? { shippingCost: money(document.shipping) } : {}),
      item: {
        items: document.lines.map((line) => ({ item: { id: items[line.sku]! }, quantity: line.qty, rate: money(line.unitPrice), amount: money(line.qty * line.unitPrice - line.discount) })),
      },
    },
  };
}

/** PUT …/<record type>/eid:<external id>: creates the record, or updates the one already there (204 either way). */
export function upsertRecord(settings: NetSuiteConnectionSettings, token: string, recordType: "journalentry" | "salesOrder", externalId: string, body: Record<string, unknown>): Promise<ErpAnswer> {
  return erpCall("NetSuite", `${netsuiteBaseUrl(settings)}/services/rest/record/v1/${recordType}/eid:${encodeURIComponent(externalId)}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body),
  });
}
