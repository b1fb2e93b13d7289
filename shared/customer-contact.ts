import { z } from "@hono/zod-openapi";
import { parsePhoneNumberWithError, type CountryCode } from "libphonenumber-js/min";
import { fail, type Result } from "./errors.ts";

/**
 * A customer's contact in the one form the directory stores and looks up:
 * the same address written twice (case, spaces, national or international)
 * must find the same customer, and decide whether two records are duplicates.
 * docs/decisions/0039-customers.md.
 */

/**
 * An email address trimmed and lower-cased, if it is one (zod's address
 * pattern: dotted domain, no spaces, no quoted local parts). Lower-casing the
 * local part is not what RFC 5321 promises, but it is what every mailbox
 * provider customers use does, and a lookup by the till must not miss on case.
 *
 * @example
 * normalEmail("  Jane.Doe@Example.COM ") // { ok: true, value: "jane.doe@example.com" }
 */
export function normalEmail(input: string): Result<{ value: string }, "invalid_email"> {
  const value = input.trim().toLowerCase();
  if (value.length > 254 || !z.regexes.email.test(value)) return fail("invalid_email", "email is not an address (name@domain.tld)");
  return { ok: true, value };
}

/**
 * A phone number in E.164, read by libphonenumber-js (its `min` metadata:
 * the length of each country's numbers, not their ranges). A number without
 * `+` or an international prefix is read as a national number of
 * `defaultCountry`; without one it cannot be read. The whole input must be
 * the number: no extension, no words around it.
 *
 * @example
 * normalPhone("020 7946 0958", "GB") // { ok: true, value: "+442079460958" }
 */
export function normalPhone(input: string, defaultCountry: CountryCode | null): Result<{ value: string }, "invalid_phone"> {
  // The detail never repeats the number: problems travel through logs and tickets.
  const refused = (why: string) => fail("invalid_phone", `phone cannot be read: ${why}`);
  const text = input.trim();
  try {
    const number = parsePhoneNumberWithError(text, { defaultCountry: defaultCountry ?? undefined, extract: false });
    if (number.ext) return refused("extensions are not kept");
    if (!number.isPossible()) return refused(`wrong length for +${number.countryCallingCode}`);
    return { ok: true, value: number.number };
  } catch (error) {
    const reason = (error as Error).message;
    if (reason !== "INVALID_COUNTRY") return refused(reason.toLowerCase().replaceAll("_", " "));
    return refused(text.startsWith("+") ? "unknown country calling code" : "a national number needs the tenant's defaultCountry, or write it with +");
  }
}

/** An address as a key that may not read personal data sees it: its first character and its domain. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

/** An E.164 number as a key that may not read personal data sees it: its country code and its last two digits. */
export function maskPhone(phone: string): string {
  const countryCode = parsePhoneNumberWithError(phone).countryCallingCode;
  const national = phone.slice(1 + countryCode.length);
  return `+${countryCode}${"*".repeat(Math.max(0, national.length - 2))}${national.slice(-2)}`;
}
