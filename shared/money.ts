/**
 * Money is an integer number of minor units of its currency everywhere in
 * Shelfsync. Outside systems send decimal strings ("199.00"); they become
 * minor units by string arithmetic only, never through a float.
 */

const exponents = new Map<string, number>();

/**
 * The number of minor-unit digits of an ISO 4217 currency (USD 2, JPY 0,
 * KWD 3), or null for text that is not a currency code (a well-formed
 * code the runtime does not know counts 2 digits).
 */
export function currencyExponent(currency: string): number | null {
  const known = exponents.get(currency);
  if (known !== undefined) return known;
  if (!/^[A-Z]{3}$/.test(currency)) return null;
  try {
    const exponent = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? null;
    if (exponent !== null) exponents.set(currency, exponent);
    return exponent;
  } catch {
    return null;
  }
}

/**
 * A non-negative decimal amount in minor units, exactly; null when the text
 * is not a plain decimal, has more significant fraction digits than the
 * currency has minor units (nothing is rounded), or is too large to count exactly.
 *
 * @example
 * decimalToMinor("199.00", "USD") // 19900
 * decimalToMinor("1000", "JPY")   // 1000
 * decimalToMinor("0.005", "USD")  // null
 */
export function decimalToMinor(amount: string, currency: string): number | null {
  const exponent = currencyExponent(currency);
  const match = /^(\d{1,20})(?:\.(\d{1,20}))?$/.exec(amount.trim());
  if (exponent === null || !match) return null;
  const whole = match[1]!;
  const fraction = match[2] ?? "";
  if (/[^0]/.test(fraction.slice(exponent))) return null;
  const minor = BigInt(whole) * 10n ** BigInt(exponent) + BigInt(fraction.slice(0, exponent).padEnd(exponent, "0") || "0");
  return minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : null;
}

/**
 * A signed decimal amount ("-20.00", "+5", "12.5") in minor units, exactly,
 * as `decimalToMinor` reads its magnitude; null when it would not.
 *
 * @example
 * signedDecimalToMinor("-20.00", "USD") // -2000
 */
export function signedDecimalToMinor(amount: string, currency: string): number | null {
  const match = /^\s*([+-]?)(.*)$/.exec(amount)!;
  const magnitude = decimalToMinor(match[2]!, currency);
  if (magnitude === null) return null;
  return match[1] === "-" ? 0 - magnitude : magnitude;
}

/**
 * floor(total × part / whole) in exact integer arithmetic: the share of a
 * line's amount that `part` of its `whole` units carry.
 *
 * @example
 * proRata(1000, 1, 3) // 333
 */
export function proRata(total: number, part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Number((BigInt(total) * BigInt(part)) / BigInt(whole));
}

/**
 * Minor units as a plain decimal string in the currency's digits, exactly
 * (the way an ERP's CSV import reads amounts).
 *
 * @example
 * minorToDecimal(19900, "USD") // "199.00"
 * minorToDecimal(-5, "USD")    // "-0.05"
 * minorToDecimal(1000, "JPY")  // "1000"
 */
export function minorToDecimal(minor: number, currency: string): string {
  const exponent = currencyExponent(currency) ?? 2;
  const digits = String(Math.abs(minor)).padStart(exponent + 1, "0");
  const sign = minor < 0 ? "-" : "";
  if (exponent === 0) return `${sign}${digits}`;
  return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}
