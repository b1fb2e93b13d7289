import type { Principal } from "../durable/tenant-registry.ts";

/** Hono's environment for every route: the bindings, and what middleware sets. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The tenant key's holder, set by the authenticate middleware. */
    principal?: Principal;
    /** Set by the authenticate middleware when the caller holds the platform key. */
    platform?: boolean;
    /** The tenant a well-formed tenant key names, set before the key is checked (it may yet be refused). */
    keyTenant?: string;
  };
}
