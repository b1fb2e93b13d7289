import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, problemBody, type ErrorCode } from "./errors.ts";

/** What a Hono app must provide to answer problems: the request id (hono/request-id), which becomes `instance`. */
export interface ProblemEnv {
  Variables: { requestId: string };
}

/** RFC 9457 problem+json for an AppError; `instance` is the request id, which the access log also carries. */
export function problemResponse<E extends ProblemEnv>(c: Context<E>, error: AppError): Response {
  // c.body keeps headers set earlier in the request, e.g. Idempotent-Replayed.
  return c.body(JSON.stringify(problemBody(error, c.get("requestId") ?? "unknown")), error.status as ContentfulStatusCode, { "content-type": "application/problem+json" });
}

/** Hono's own refusals (a body that is not JSON, an oversized body, …) as our codes. */
const httpExceptionCodes: Record<number, ErrorCode> = {
  400: "malformed_json",
  401: "unauthorized",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

export interface ProblemHandlerOptions {
  /** Where an unexpected failure is logged, with its stack; one JSON object a line. */
  log: (fields: Record<string, unknown>) => void;
  /** The `detail` of the internal_error a client sees instead; it names where the request id leads. */
  internalDetail: string;
}

/**
 * An app's one error handler: every failure leaves as problem+json. AppErrors
 * keep their code; anything else is logged and answered as `internal_error`.
 *
 * @example
 * app.onError(problemHandler({ log: logLine, internalDetail: "Something failed on our side" }));
 */
export function problemHandler({ log, internalDetail }: ProblemHandlerOptions) {
  return <E extends ProblemEnv>(error: Error, c: Context<E>): Response => {
    if (error instanceof AppError) return problemResponse(c, error);
    if (error instanceof HTTPException) return problemResponse(c, new AppError(httpExceptionCodes[error.status] ?? "internal_error", error.message));
    log({ level: "error", requestId: c.get("requestId"), message: error.message, stack: error.stack });
    return problemResponse(c, new AppError("internal_error", internalDetail));
  };
}

/**
 * Turns a failed validation into a `validation_failed` problem naming every
 * field at fault; the `defaultHook` of every OpenAPIHono app and router.
 *
 * @example
 * new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
 */
export function validationHook(result: { success: true } | { success: false; error: z.ZodError; target: string }): void {
  if (!result.success) {
    const errors = result.error.issues.map((issue) => ({ in: result.target, path: issue.path.join("."), message: issue.message }));
    const first = errors[0];
    throw new AppError("validation_failed", first ? `${first.in} ${first.path || "(root)"}: ${first.message}` : "Invalid request", { errors });
  }
}
