import type { PartnerPrincipal } from "../durable/partner-directory.ts";
import type { Principal } from "../durable/tenant-registry.ts";
import type { ConsoleSession } from "./middleware/console-session.ts";

/** Hono's environment for every route: the bindings, and what middleware sets. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The request's span (W3C traceparent): in the trace the caller sent, or the first span of a new trace. Set by the access log. */
    traceparent: string;
    /** The tenant key's holder, set by the authenticate middleware. */
    principal?: Principal;
    /** A partner key's holder, set by the authenticate middleware (with `principal` too when it acts on one of its tenants). */
    partner?: PartnerPrincipal;
    /** Set by the authenticate middleware when the caller holds the platform key. */
    platform?: boolean;
    /** The tenant a well-formed tenant key names, set before the key is checked (it may yet be refused). */
    keyTenant?: string;
    /** The console session whose cookie authenticated the request (no Authorization header). */
    session?: ConsoleSession;
  };
}
