/** One JSON object a line. Never pass card data or personal data (no bodies, no customer ids). */
export type Logger = (fields: Record<string, unknown>) => void;

export const jsonLogger: Logger = (fields) => {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
};

export const silentLogger: Logger = () => {};
