import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, problemBody, type ErrorCode } from "../shared/errors.ts";
import type { Logger } from "./log.ts";

/** Hono's environment for the POS API. */
export interface PosEnv {
  Variables: { requestId: string };
}

/** RFC 9457 problem+json for an AppError; `instance` is the request id, which the access log also carries. */
export function problemResponse(c: Context<PosEnv>, error: AppError): Response {
  return c.body(JSON.stringify(problemBody(error, c.get("requestId") ?? "unknown")), error.status as ContentfulStatusCode, { "content-type": "application/problem+json" });
}

const httpExceptionCodes: Record<number, ErrorCode> = {
  400: "malformed_json",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** The POS API's one error handler: every failure leaves as problem+json. */
export function errorHandler(log: Logger) {
  return (error: Error, c: Context<PosEnv>): Response => {
    if (error instanceof AppError) return problemResponse(c, error);
    if (error instanceof HTTPException) return problemResponse(c, new AppError(httpExceptionCodes[error.status] ?? "internal_error", error.message));
    log({ level: "error", requestId: c.get("requestId"), message: error.message, stack: error.stack });
    return problemResponse(c, new AppError("internal_error", "The agent failed to handle this request; the request id identifies it in its log"));
  };
}
