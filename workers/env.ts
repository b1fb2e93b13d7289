import type { Principal } from "../durable/tenant-registry.ts";

/** Hono's environment for every route: the bindings, and what middleware sets. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal?: Principal;
  };
}
