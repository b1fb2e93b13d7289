/**
 * FNV-1a (32 bits) of a string's UTF-16 code units: a fast, stable spread of
 * ids over a fixed number of objects (not a cryptographic hash).
 *
 * @example
 * fnv1a32("SKU-1") % 8 // the same shard every time, in every isolate
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
