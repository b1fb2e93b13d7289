import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Schemas } from "./api.ts";

export type Session = Schemas["Session"];
export type Brand = Schemas["HostBranding"];

/** What every screen may read: the session (null: signed out), the tenant a partner acts on, and the host's brand. */
export interface ConsoleState {
  session: Session | null;
  brand: Brand;
  tenant: string | null;
  signedIn(session: Session): void;
  signOut(): Promise<void>;
  chooseTenant(tenant: string | null): void;
}

export const ConsoleContext = createContext<ConsoleState | null>(null);

export function useConsole(): ConsoleState {
  const state = useContext(ConsoleContext);
  if (!state) throw new Error("useConsole outside the console");
  return state;
}

/** Whether the session may change things on its tenant: tenant admins, and partners acting on a tenant (as its admin). */
export function canManage(state: ConsoleState): boolean {
  return state.session?.kind === "partner" ? state.tenant !== null : state.session?.role === "admin";
}

type Role = NonNullable<Session["role"]>;

/** Who the API answers on each screen's main call: the nav offers a screen only to those. */
export const screenReaders = {
  orders: ["admin", "channel", "readonly"],
  inventory: ["admin", "erp", "store", "readonly"],
  reservations: ["admin", "channel", "readonly"],
  traces: ["admin", "readonly"],
  customers: ["admin", "readonly"],
  metrics: ["admin", "readonly"],
} as const satisfies Record<string, readonly Role[]>;

/**
 * Whether the session's key may read what `roles` may (a partner acting on a
 * tenant acts as its admin): the nav offers a screen only to those the API
 * would answer. The API decides in the end; a screen shows its refusal.
 */
export function mayRead(state: ConsoleState, roles: readonly Role[]): boolean {
  if (state.session?.kind === "partner") return state.tenant !== null && roles.includes("admin");
  return state.session?.role ? roles.includes(state.session.role) : false;
}
