/**
 * The UTC calendar month of an instant, as `YYYY-MM`.
 *
 * @example
 * monthOf(Date.parse("2026-12-31T23:59:59Z")) // "2026-12"
 */
export function monthOf(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** The instants [from, to) of a `YYYY-MM` month, UTC, in ms. */
export function monthRange(month: string): { from: number; to: number } {
  const [year, index] = month.split("-").map(Number) as [number, number];
  return { from: Date.UTC(year, index - 1, 1), to: Date.UTC(year, index, 1) };
}
