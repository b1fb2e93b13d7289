import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, problemBody, type ErrorCode } from "../shared/errors.ts";
import type { AppEnv } from "./env.ts";
import { logLine } from "./log.ts";

/** RFC 9457 problem+json for an AppError; `instance` is the request id. */
export function problemResponse(c: Context<AppEnv>, error: AppError): Response {
  // c.body keeps headers set earlier in the request, e.g. Idempotent-Replayed.
  return c.body(JSON.stringify(problemBody(error, c.get("requestId") ?? "unknown")), error.status as ContentfulStatusCode, { "content-type": "application/problem+json" });
}

const httpExceptionCodes: Record<number, ErrorCode> = {
  400: "malformed_json",
  401: "unauthorized",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** The app's one error handler: every failure leaves as problem+json. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof AppError) return problemResponse(c, error);
  if (error instanceof HTTPException) {
    const code = httpExceptionCodes[error.status] ?? "internal_error";
    return problemResponse(c, new AppError(code, error.message));
  }
  logLine({ level: "error", requestId: c.get("requestId"), message: error.message, stack: error.stack });
  return problemResponse(c, new AppError("internal_error", "Something failed on our side; the request id identifies it in our logs"));
}
