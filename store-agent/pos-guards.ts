import { createMiddleware } from "hono/factory";
import { AppError } from "../shared/errors.ts";
import type { AgentDatabase } from "./db/client.ts";
import type { HostAllowlist } from "./host-allowlist.ts";
import { authenticateTerminal } from "./terminals.ts";
import type { TokenBuckets } from "./token-buckets.ts";

/** Hono's environment for the POS API: the request id that problems carry as `instance`, and the terminal that made the call. */
export interface PosEnv {
  Variables: {
    requestId: string;
    terminal?: { id: string; name: string };
    /** The request's span: in the terminal's trace (its traceparent header) or the first of a new trace. */
    traceparent: string;
    /** The trace the request's log line names when not the request's own: a replayed sale's original trace. */
    traceId?: string | null;
  };
}

/** Refuses a Host header not on the allowlist (421 host_not_allowed), before anything is read or written. */
export function requireAllowedHost(hosts: HostAllowlist) {
  return createMiddleware<PosEnv>(async (c, next) => {
    const host = c.req.header("host");
    if (!hosts.allows(host)) {
      throw new AppError("host_not_allowed", `This agent does not answer to Host ${JSON.stringify(host ?? "")}; add it to SHELFSYNC_ALLOWED_HOSTS if terminals use that name`);
    }
    await next();
  });
}

/** Too many requests: 429 rate_limited with Retry-After in seconds. */
export function rateLimited(c: { header: (name: string, value: string) => void }, retryAfterSeconds: number, detail: string): AppError {
  c.header("Retry-After", String(retryAfterSeconds));
  return new AppError("rate_limited", detail, { retryAfterSeconds });
}

/**
 * Lets through only a paired, unrevoked terminal (401 unauthorized otherwise,
 * with WWW-Authenticate), then takes one token from that terminal's bucket
 * (429 rate_limited with Retry-After when it is empty).
 */
export function requireTerminal(store: AgentDatabase, buckets: TokenBuckets) {
  return createMiddleware<PosEnv>(async (c, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
    const refuse = (detail: string) => {
      c.header("WWW-Authenticate", 'Bearer realm="shelfsync-pos"');
      return new AppError("unauthorized", detail);
    };
    if (!match) throw refuse("Send the terminal's token as Authorization: Bearer <token>; pair the terminal first (shelfsync-agent terminals pair)");
    const outcome = await authenticateTerminal(store, match[1]!);
    if (outcome.kind === "unknown") throw refuse("Unknown terminal token; pair the terminal again");
    if (outcome.kind === "revoked") throw refuse(`Terminal ${outcome.terminalId} was revoked; pair it again`);
    const taken = buckets.take(outcome.terminal.id);
    if (!taken.ok) throw rateLimited(c, taken.retryAfterSeconds, `Terminal ${outcome.terminal.id} is over its rate limit; retry in ${taken.retryAfterSeconds} s`);
    c.set("terminal", outcome.terminal);
    await next();
  });
}
