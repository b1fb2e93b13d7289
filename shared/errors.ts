/**
 * The one error model of the API. Every failure a client can see carries a
 * stable `code`; the HTTP status follows from the code.
 */
export const errorStatus = {
  validation_failed: 400,
  malformed_json: 400,
  idempotency_key_required: 400,
  webhook_topic_mismatch: 400,
  webhook_stale: 400,
  unauthorized: 401,
  key_revoked: 401,
  key_expired: 401,
  session_expired: 401,
  pairing_code_invalid: 401,
  forbidden: 403,
  approval_required: 403,
  approval_invalid: 403,
  csrf_token_invalid: 403,
  not_found: 404,
  unknown_location: 422,
  unknown_sku: 422,
  unknown_channel: 422,
  location_not_in_channel: 422,
  negative_on_hand: 422,
  account_mapping_incomplete: 422,
  unknown_tender_type: 422,
  mapping_invalid: 422,
  mapping_mismatch: 422,
  erp_connection_invalid: 422,
  settlement_invalid: 422,
  invalid_email: 422,
  invalid_phone: 422,
  conflict: 409,
  idempotency_conflict: 409,
  insufficient_stock: 409,
  reservation_not_active: 409,
  insufficient_points: 409,
  hold_not_active: 409,
  points_exceed_hold: 409,
  redemption_not_covered: 409,
  not_reserved: 409,
  return_exceeds_fulfilled: 409,
  return_exceeds_open: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  host_not_allowed: 421,
  rate_limited: 429,
  internal_error: 500,
  edge_unreachable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export const errorCodes = Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]];

const titles: Record<ErrorCode, string> = {
  validation_failed: "The request is not valid",
  malformed_json: "The request body is not valid JSON",
  idempotency_key_required: "An Idempotency-Key header is required",
  webhook_topic_mismatch: "The webhook's body does not fit its topic",
  webhook_stale: "The webhook is older than this integration accepts",
  unauthorized: "Missing or unknown API key",
  key_revoked: "The API key was revoked",
  key_expired: "The API key has expired",
  session_expired: "The console session has ended: sign in again",
  pairing_code_invalid: "The pairing code is unknown, used or expired",
  forbidden: "This key may not do that",
  approval_required: "A manager's approval is required",
  approval_invalid: "The manager approval is not valid",
  csrf_token_invalid: "The request needs the session's CSRF token in X-Shelfsync-CSRF",
  not_found: "Not found",
  unknown_location: "Unknown location",
  unknown_sku: "Unknown SKU",
  unknown_channel: "Unknown channel",
  location_not_in_channel: "The location is not in the channel's pool",
  negative_on_hand: "On-hand stock cannot go below zero",
  account_mapping_incomplete: "The account mapping leaves journal lines without an account",
  unknown_tender_type: "Unknown tender type",
  mapping_invalid: "The column mapping cannot be used for this import type",
  mapping_mismatch: "The file's columns do not fit the tenant's mapping",
  erp_connection_invalid: "The ERP connection cannot work with these settings or credentials",
  settlement_invalid: "The settlement cannot be read: nothing of it was applied",
  invalid_email: "The email address is not valid",
  invalid_phone: "The phone number cannot be read as an international (E.164) number",
  conflict: "The request conflicts with the current state",
  idempotency_conflict: "The Idempotency-Key was used with a different request",
  insufficient_stock: "Not enough stock available",
  reservation_not_active: "The reservation is no longer active",
  insufficient_points: "Not enough loyalty points available",
  hold_not_active: "The loyalty hold is no longer active",
  points_exceed_hold: "More points than the hold locks",
  redemption_not_covered: "The store cannot approve this redemption: complete the sale without it",
  not_reserved: "The order holds no reservation for those units there",
  return_exceeds_fulfilled: "More units than were fulfilled and not already returned",
  return_exceeds_open: "More units than the return still expects",
  payload_too_large: "The request body is too large",
  unsupported_media_type: "The request body must be application/json",
  host_not_allowed: "The Host header is not one this server answers to",
  rate_limited: "Too many requests",
  internal_error: "Internal error",
  edge_unreachable: "The edge cannot be reached and the store has no copy of what was asked",
};

export function errorTitle(code: ErrorCode): string {
  return titles[code];
}

/**
 * A failure with a stable code. Thrown in the Worker and turned into
 * RFC 9457 problem+json by the app's single error handler.
 *
 * @example
 * throw new AppError("not_found", `Reservation ${id} does not exist`);
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly extra: Record<string, unknown>;

  constructor(code: ErrorCode, detail?: string, extra: Record<string, unknown> = {}) {
    super(detail ?? titles[code]);
    this.name = "AppError";
    this.code = code;
    this.status = errorStatus[code];
    this.extra = extra;
  }
}

export const problemTypeBase = "https://shelfsync.dev/problems/";

/** The RFC 9457 problem+json body of an error; `instance` is the request id, which the access log also carries. */
export function problemBody(error: AppError, instance: string): Record<string, unknown> {
  return {
    ...error.extra,
    type: `${problemTypeBase}${error.code}`,
    title: errorTitle(error.code),
    status: error.status,
    detail: error.message,
    code: error.code,
    instance,
  };
}

/**
 * A business outcome that crossed an RPC boundary: objects return these
 * instead of throwing, and callers match on `code`.
 */
/** Plain values only: failures cross RPC and are stored as idempotent answers. */
export type FailureDetails = Record<string, string | number | boolean | null | string[]>;

export interface Failure<C extends ErrorCode = ErrorCode> {
  ok: false;
  code: C;
  detail: string;
  /** Members added to the problem body, e.g. `available` for insufficient_stock. */
  extra: FailureDetails;
}

export type Result<T, C extends ErrorCode = ErrorCode> = ({ ok: true } & T) | Failure<C>;

export function fail<C extends ErrorCode>(code: C, detail: string, extra: FailureDetails = {}): Failure<C> {
  return { ok: false, code, detail, extra };
}
