import { OpenAPIHono, type z } from "@hono/zod-openapi";
import { AppError } from "../shared/errors.ts";
import { Problem } from "../shared/schemas/common.ts";
import type { AppEnv } from "./env.ts";

/** Turns a failed validation into a `validation_failed` problem naming every field at fault. */
export function validationHook(result: { success: true } | { success: false; error: z.ZodError; target: string }): void {
  if (!result.success) {
    const errors = result.error.issues.map((issue) => ({ in: result.target, path: issue.path.join("."), message: issue.message }));
    const first = errors[0];
    throw new AppError("validation_failed", first ? `${first.in} ${first.path || "(root)"}: ${first.message}` : "Invalid request", { errors });
  }
}

/** A route group whose validation failures become `validation_failed` problems. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

export function body<T extends z.ZodType>(schema: T) {
  return { content: { "application/json": { schema } }, required: true };
}

const problem = (description: string) => ({ content: { "application/problem+json": { schema: Problem } }, description });

/** The problem responses most routes share, for the OpenAPI document. */
export const problems = {
  400: problem("validation_failed, malformed_json or idempotency_key_required"),
  401: problem("unauthorized: missing or unknown key"),
  403: problem("forbidden: the key's role or binding does not allow this"),
  404: problem("not_found"),
  409: problem("insufficient_stock, reservation_not_active, idempotency_conflict or conflict"),
  413: problem("payload_too_large"),
  415: problem("unsupported_media_type"),
  422: problem("unknown_location, unknown_channel, location_not_in_channel or negative_on_hand"),
} as const;

export const security = [{ bearer: [] }];
