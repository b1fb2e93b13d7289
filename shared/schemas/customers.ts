import { z } from "@hono/zod-openapi";
import { isSupportedCountry } from "libphonenumber-js/min";
import { ExternalId, PlainText, Timestamp } from "./common.ts";
import { CustomerId } from "./loyalty.ts";

export const LoyaltyId = ExternalId("LOY-0042-7781");

/** The fields of a customer's contact that lookups find and duplicates are recognised by. */
export const ContactField = z.enum(["email", "phone"]);
export type ContactField = z.infer<typeof ContactField>;

/**
 * Contact as the caller wrote it: only its length is checked here. The
 * directory normalises it (case, whitespace, E.164) and answers 422
 * invalid_email or invalid_phone when it cannot, so that a malformed address
 * has its own stable code rather than a generic validation failure.
 */
const EmailInput = z.string().max(254).openapi({ example: "Jane.Doe@Example.com", description: "Trimmed and lower-cased; 422 invalid_email if it is not an address." });
const PhoneInput = z.string().max(40).openapi({
  example: "+44 20 7946 0958",
  description: "Stored in E.164. A national number (020 7946 0958) needs the tenant's defaultCountry; 422 invalid_phone if it cannot be read or has the wrong length for its country.",
});

export const PutCustomerRequest = z
  .object({
    email: EmailInput.optional(),
    phone: PhoneInput.optional(),
    name: PlainText(200).optional().openapi({ example: "Jane Doe" }),
    loyaltyId: LoyaltyId.optional().openapi({ description: "The number on the customer's loyalty card, if the retailer issues one." }),
  })
  .strict()
  .openapi("PutCustomerRequest");
export type PutCustomerRequest = z.infer<typeof PutCustomerRequest>;

export const Customer = z
  .object({
    id: CustomerId,
    email: z.string().nullable().openapi({ example: "jane.doe@example.com", description: "Normalised. Masked (j***@example.com) for store, channel and readonly keys, except in the answer to their own PUT." }),
    phone: z.string().nullable().openapi({ example: "+442079460958", description: "E.164. Masked (+44********58) as email is." }),
    name: z.string().nullable(),
    loyaltyId: LoyaltyId.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    mergedInto: CustomerId.nullable().openapi({ description: "The customer this one was merged into as a duplicate (same email or phone); lookups answer that customer instead." }),
    erased: z.boolean().openapi({ description: "The customer's personal data was erased: the id stays as a pseudonym, every contact field is null." }),
  })
  .openapi("Customer");
export type Customer = z.infer<typeof Customer>;

export const CustomerList = z.object({ customers: z.array(Customer) }).openapi("CustomerList");
export type CustomerList = z.infer<typeof CustomerList>;

export const CustomerLookupQuery = z
  .object({
    email: EmailInput.optional(),
    phone: PhoneInput.optional(),
    loyaltyId: LoyaltyId.optional(),
  })
  .refine((query) => [query.email, query.phone, query.loyaltyId].filter((value) => value !== undefined).length === 1, "give exactly one of email, phone or loyaltyId");
export type CustomerLookupQuery = z.infer<typeof CustomerLookupQuery>;

export const CustomerSettings = z
  .object({
    mergeDuplicates: z
      .boolean()
      .default(true)
      .openapi({ description: "Whether a customer written with the email or phone of an older one is merged into it (reversible by unmerge). Off: both stay, and lookups answer both." }),
    defaultCountry: z
      .string()
      .regex(/^[A-Z]{2}$/, "an ISO 3166 alpha-2 country code")
      .refine(isSupportedCountry, "a country whose phone numbering is known")
      .nullable()
      .default(null)
      .openapi({ example: "GB", description: "How national phone numbers (without +) are read; null: only international numbers are accepted." }),
  })
  .strict()
  .openapi("CustomerSettings");
export type CustomerSettings = z.infer<typeof CustomerSettings>;

export const defaultCustomerSettings: CustomerSettings = CustomerSettings.parse({});

export const CustomerMerge = z
  .object({
    customerId: CustomerId.openapi({ description: "The duplicate, merged into the survivor." }),
    survivorId: CustomerId,
    field: ContactField.openapi({ description: "What the two shared when they were merged." }),
    mergedAt: Timestamp,
    unmergedAt: Timestamp.nullable().openapi({ description: "When the merge was reversed; the two are then never merged again by the rule." }),
  })
  .openapi("CustomerMerge");
export type CustomerMerge = z.infer<typeof CustomerMerge>;
