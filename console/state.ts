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
