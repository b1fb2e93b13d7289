/** One JSON object per line. Never pass card data or personal data. */
export function logLine(fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ time: new Date().toISOString(), ...fields }));
}
