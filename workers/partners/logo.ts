import { AppError } from "../../shared/errors.ts";

/** The logo types accepted, each recognised by its first bytes, never by the Content-Type alone. */
export type LogoType = "image/png" | "image/jpeg" | "image/webp" | "image/svg+xml";

/** Elements and attributes that make an SVG active (scripts, handlers, embedded documents, external or script URLs). */
const activeSvg = [
  /<\s*script\b/i,
  /<\s*foreignObject\b/i,
  /<\s*(iframe|embed|object|audio|video|animate|set)\b/i,
  /<!ENTITY/i,
  /\son[a-z]+\s*=/i,
  /(java|vb)script\s*:/i,
  /\b(href|src)\s*=\s*["']\s*(?!#|data:image\/(png|jpeg|webp);)/i,
  /url\(\s*["']?\s*(?!#)/i,
];

function startsWith(bytes: Uint8Array, magic: number[], at = 0): boolean {
  return bytes.length >= at + magic.length && magic.every((byte, i) => bytes[at + i] === byte);
}

/** What the bytes are, or null when they are none of the accepted types. */
export function sniffLogo(bytes: Uint8Array): LogoType | null {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "image/jpeg";
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  const text = utf8(bytes);
  // An SVG document: optional BOM, XML declaration, comments and doctype, then the <svg> root.
  if (text !== null && /^\uFEFF?\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i.test(text)) return "image/svg+xml";
  return null;
}

/**
 * Checks an uploaded logo: one of PNG, JPEG, WebP or SVG by its bytes, and
 * the declared Content-Type the same (415 unsupported_media_type
 * otherwise). An SVG with anything active in it (scripts, event handlers,
 * foreign objects, external references) is refused (400 validation_failed)
 * rather than rewritten: a sanitiser that misses one construct serves a
 * script from the API's origin.
 */
export function checkLogo(bytes: Uint8Array, declared: string | undefined): LogoType {
  if (bytes.byteLength === 0) throw new AppError("validation_failed", "The logo is empty");
  const type = sniffLogo(bytes);
  if (!type) throw new AppError("unsupported_media_type", "The logo is not a PNG, JPEG, WebP or SVG image");
  const said = declared?.split(";")[0]!.trim().toLowerCase();
  if (said !== type) throw new AppError("unsupported_media_type", `The logo's bytes are ${type}, but its Content-Type says ${said ?? "nothing"}`);
  if (type === "image/svg+xml") {
    const text = utf8(bytes)!;
    if (activeSvg.some((pattern) => pattern.test(text))) throw new AppError("validation_failed", "The SVG holds scripts, event handlers, embedded documents or external references; upload it without them");
  }
  return type;
}

function utf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}
