import { z } from "@hono/zod-openapi";
import { customerDirectory } from "../../durable/objects.ts";
import { maskEmail, maskPhone } from "../../shared/customer-contact.ts";
import { AppError } from "../../shared/errors.ts";
import { IdempotencyKeyHeader } from "../../shared/schemas/common.ts";
import { Customer, CustomerList, CustomerLookupQuery, CustomerMerge, CustomerSettings, PutCustomerRequest } from "../../shared/schemas/customers.ts";
import { CustomerId } from "../../shared/schemas/loyalty.ts";
import type { KeyRole } from "../../shared/schemas/tenancy.ts";
import { authorize } from "../auth.ts";
import { idempotencyOf, settle, unwrap } from "../idempotency.ts";
import { body, createRouter, json, routesOf } from "../openapi.ts";

/** Keys that keep the customer directory: they read and write everything, contact in full. */
const keepers = ["admin", "erp"] as const;
/** Tills and checkouts sign customers up and look them up, but read their contact masked. */
const signUp = [...keepers, "store", "channel"] as const;
const readers = [...signUp, "readonly"] as const;

const CustomerParams = z.object({ id: CustomerId });

const customers = routesOf("Customers");

// Before /v1/customers/{id}: the first route that matches answers, so `settings` is never taken for a customer id.
const readSettings = customers.get("/v1/customers/settings", "getCustomerSettings", {
  summary: "The tenant's customer settings (tenant admin)",
  responses: { 200: json(CustomerSettings, "The settings") },
});

const putSettings = customers.put("/v1/customers/settings", "setCustomerSettings", {
  summary: "Set the tenant's customer settings: whether duplicates are merged, and how national phone numbers are read (tenant admin)",
  description: "Applies to customers written from now on: stored customers are not merged or read again.",
  request: { body: body(CustomerSettings) },
  responses: { 200: json(CustomerSettings, "The settings") },
});

const put = customers.put("/v1/customers/{id}", "putCustomer", {
  summary: "Create or replace a customer",
  description: [
    "Fields left out become null. email is trimmed and lower-cased, phone stored in E.164 (a national number is read in the tenant's defaultCountry); a malformed one is 422 invalid_email or invalid_phone and nothing changes.",
    "With the tenant's mergeDuplicates on, a customer sharing the email or phone of an older active customer is merged into it (`mergedInto`); lookups then answer the older one. POST …/unmerge reverses it.",
    "An erased customer cannot be written again (409 conflict). `settings` is not a customer id: it names the settings. Admin, erp, store and channel keys; the answer shows the contact as written, whatever the key's role.",
  ].join(" "),
  request: { params: CustomerParams, body: body(PutCustomerRequest) },
  responses: { 200: json(Customer, "The customer as stored") },
});

const read = customers.get("/v1/customers/{id}", "getCustomer", {
  summary: "A customer, merged or erased ones too",
  description: "Email and phone are masked for store, channel and readonly keys.",
  request: { params: CustomerParams },
  responses: { 200: json(Customer, "The customer") },
});

const lookup = customers.get("/v1/customers", "findCustomers", {
  summary: "Find customers by email, phone or loyalty id (exactly one)",
  description:
    "The value is read as PUT reads it, so case, spaces and a national or international form of the same number find the same customer. A merged customer is answered as the customer it was merged into; each customer once, oldest first. A malformed email or phone is 422 invalid_email or invalid_phone. Email and phone are masked for store, channel and readonly keys.",
  request: { query: CustomerLookupQuery },
  responses: { 200: json(CustomerList, "The customers found (none: an empty list)") },
});

const erase = customers.delete("/v1/customers/{id}", "eraseCustomer", {
  summary: "Erase a customer's personal data; the id stays as a pseudonym",
  description:
    "email, phone, name and loyaltyId become null, of this customer and of every customer merged into it; no lookup finds them again. The record stays (`erased: true`) so that ledgers keep their pseudonym. Erasing again changes nothing. Admin and erp keys.",
  request: { params: CustomerParams },
  responses: { 200: json(Customer, "The erased customer") },
});

const unmerge = customers.post("/v1/customers/{id}/unmerge", "unmergeCustomer", {
  summary: "Reverse the merge of a duplicate into another customer",
  description: "The customer stands alone again and the two are never merged again by the rule. A customer not merged is 409 conflict. Admin and erp keys.",
  request: { params: CustomerParams, headers: IdempotencyKeyHeader },
  responses: { 200: json(CustomerMerge, "The merge, now reversed") },
});

/** A customer as a key of `role` may read it: only the directory's keepers see contact in full. */
function forRole(customer: Customer, role: KeyRole): Customer {
  if ((keepers as readonly KeyRole[]).includes(role)) return customer;
  return { ...customer, email: customer.email && maskEmail(customer.email), phone: customer.phone && maskPhone(customer.phone) };
}

export const customerRoutes = createRouter()
  .openapi(readSettings, async (c) => {
    const { principal } = await authorize(c, { roles: ["admin"] });
    return c.json(await customerDirectory(c.env, principal.tenantId).getSettings(), 200);
  })
  .openapi(putSettings, async (c) => {
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: ["admin"] });
    return c.json(await customerDirectory(c.env, principal.tenantId).putSettings(input), 200);
  })
  .openapi(put, async (c) => {
    const { id } = c.req.valid("param");
    const input = c.req.valid("json");
    const { principal } = await authorize(c, { roles: signUp });
    return c.json(unwrap(await customerDirectory(c.env, principal.tenantId).put(id, input)).customer, 200);
  })
  .openapi(read, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: readers });
    const customer = await customerDirectory(c.env, principal.tenantId).get(id);
    if (!customer) throw new AppError("not_found", `No customer ${id}`);
    return c.json(forRole(customer, principal.role), 200);
  })
  .openapi(lookup, async (c) => {
    const query = c.req.valid("query");
    const { principal } = await authorize(c, { roles: readers });
    const found = unwrap(await customerDirectory(c.env, principal.tenantId).find(query));
    return c.json({ customers: found.customers.map((customer) => forRole(customer, principal.role)) }, 200);
  })
  .openapi(erase, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: keepers });
    return c.json(unwrap(await customerDirectory(c.env, principal.tenantId).erase(id)).customer, 200);
  })
  .openapi(unmerge, async (c) => {
    const { id } = c.req.valid("param");
    const { principal } = await authorize(c, { roles: keepers });
    const idempotency = await idempotencyOf(c, null, { required: true });
    return c.json(settle(c, await customerDirectory(c.env, principal.tenantId).unmerge(id, idempotency)).merge, 200);
  });
