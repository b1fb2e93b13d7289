import type { ComponentChildren } from "preact";
import { useEffect, useMemo, useState } from "preact/hooks";
import { Link, Redirect, Route, Router, Switch, useLocation } from "wouter-preact";
import { actOnTenant, api, setCsrfToken, whenSignedOut } from "./api.ts";
import { AuditLog } from "./pages/audit.tsx";
import { CustomerDetail } from "./pages/customer-detail.tsx";
import { Customers } from "./pages/customers.tsx";
import { ExceptionDetail } from "./pages/exception-detail.tsx";
import { Exceptions } from "./pages/exceptions.tsx";
import { InventoryLookup } from "./pages/inventory.tsx";
import { Keys } from "./pages/keys.tsx";
import { OrderDetail } from "./pages/order-detail.tsx";
import { Orders } from "./pages/orders.tsx";
import { Overview } from "./pages/overview.tsx";
import { PartnerKeys } from "./pages/partner-keys.tsx";
import { PartnerOverview } from "./pages/partner-overview.tsx";
import { PartnerUsage } from "./pages/partner-usage.tsx";
import { SignIn } from "./pages/sign-in.tsx";
import { StoreDetail } from "./pages/store-detail.tsx";
import { TraceLookup } from "./pages/trace.tsx";
import { canManage, ConsoleContext, mayRead, screenReaders, useConsole, type Brand, type ConsoleState, type Session } from "./state.ts";

const tenantStorageKey = "shelfsync.console.tenant";
const defaultBrand: Brand = { partner: null, displayName: "Shelfsync", colors: { primary: "#1f6feb" }, support: {}, logoUrl: null };

/** The host's brand in the page: its name in the title and its colours as CSS properties. */
function applyBrand(brand: Brand): void {
  document.title = `${brand.displayName} console`;
  const style = document.documentElement.style;
  style.setProperty("--brand", brand.colors.primary);
  style.setProperty("--brand-text", brand.colors.text ?? "#ffffff");
  if (brand.colors.accent) style.setProperty("--accent", brand.colors.accent);
}

export function App() {
  const [brand, setBrand] = useState<Brand>(defaultBrand);
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [tenant, setTenant] = useState<string | null>(() => sessionStorage.getItem(tenantStorageKey));

  useEffect(() => {
    void api.GET("/v1/branding").then((answer) => {
      if (answer.data) setBrand(answer.data);
    });
    whenSignedOut(() => setSession(null));
    void api.GET("/v1/sessions/current").then((answer) => setSession(answer.data ?? null));
  }, []);
  useEffect(() => applyBrand(brand), [brand]);
  setCsrfToken(session?.csrfToken ?? null);
  actOnTenant(session?.kind === "partner" ? tenant : null);

  const state = useMemo<ConsoleState>(
    () => ({
      session: session ?? null,
      brand,
      tenant: session?.kind === "partner" ? tenant : (session?.tenant ?? null),
      signedIn(next) {
        sessionStorage.removeItem(tenantStorageKey);
        setTenant(null);
        setSession(next);
      },
      async signOut() {
        await api.DELETE("/v1/sessions/current");
        sessionStorage.removeItem(tenantStorageKey);
        setTenant(null);
        setSession(null);
      },
      chooseTenant(next) {
        actOnTenant(next);
        if (next === null) sessionStorage.removeItem(tenantStorageKey);
        else sessionStorage.setItem(tenantStorageKey, next);
        setTenant(next);
      },
    }),
    [session, brand, tenant],
  );

  if (session === undefined) return <p class="loading">Loading…</p>;
  return (
    <ConsoleContext.Provider value={state}>
      <Router base="/console">
        <Switch>
          <Route path="/sign-in">{session ? <Redirect to="/" replace /> : <SignIn />}</Route>
          <Route>{session ? <Shell /> : <Redirect to="/sign-in" replace />}</Route>
        </Switch>
      </Router>
    </ConsoleContext.Provider>
  );
}

/** The signed-in frame: banner with the brand and the session, navigation, and the screen. */
function Shell() {
  const state = useConsole();
  const [, navigate] = useLocation();
  const { session, brand, tenant } = state;
  const partner = session!.kind === "partner";
  const home = partner && tenant === null ? "/tenants" : "/overview";

  /** Back to the partner's own screens; the button that called it is gone, so focus moves to the screen. */
  function leaveTenant() {
    state.chooseTenant(null);
    navigate("/tenants");
    document.getElementById("main")?.focus();
  }

  return (
    <>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="banner">
        <span class="brand" data-partner={brand.partner ?? ""}>
          {brand.logoUrl ? <img src={brand.logoUrl} alt={`${brand.displayName} logo`} height={32} /> : null}
          <span class="brand-name">{brand.displayName}</span>
        </span>
        <span class="who">
          {partner ? `Partner ${session!.partner}` : `Tenant ${session!.tenant}`} · key {session!.keyId}
          {session!.role ? ` (${session!.role})` : partner ? " (partner)" : ""}
          {partner && tenant ? ` · acting on ${tenant}` : ""}
        </span>
        {partner && tenant ? (
          <button type="button" class="quiet" onClick={leaveTenant}>
            Back to all tenants
          </button>
        ) : null}
        <button type="button" class="quiet" onClick={() => void state.signOut()}>
          Sign out
        </button>
      </header>
      <nav aria-label="Console sections">
        <ul>
          {partner ? <NavItem href="/tenants">Partner overview</NavItem> : null}
          {tenant ? <NavItem href="/overview">Overview</NavItem> : null}
          {tenant ? <NavItem href="/exceptions">Exceptions</NavItem> : null}
          {tenant && mayRead(state, screenReaders.orders) ? <NavItem href="/orders">Orders</NavItem> : null}
          {tenant && mayRead(state, screenReaders.inventory) ? <NavItem href="/inventory">Inventory</NavItem> : null}
          {tenant && mayRead(state, screenReaders.customers) ? <NavItem href="/customers">Customers</NavItem> : null}
          {tenant && mayRead(state, screenReaders.traces) ? <NavItem href="/traces">Traces</NavItem> : null}
          {tenant && canManage(state) ? <NavItem href="/keys">Keys</NavItem> : null}
          {tenant && canManage(state) ? <NavItem href="/audit">Audit log</NavItem> : null}
          {partner && !tenant ? <NavItem href="/partner-keys">Partner keys</NavItem> : null}
          {partner && !tenant ? <NavItem href="/usage">Usage</NavItem> : null}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        <Switch>
          <Route path="/tenants">{partner ? <PartnerOverview /> : <Redirect to="/overview" replace />}</Route>
          <Route path="/overview">{tenant ? <Overview /> : <Redirect to="/tenants" replace />}</Route>
          <Route path="/stores/:location">{(params: { location: string }) => (tenant ? <StoreDetail location={params.location} /> : <Redirect to="/tenants" replace />)}</Route>
          <Route path="/exceptions">{tenant ? <Exceptions /> : <Redirect to="/tenants" replace />}</Route>
          <Route path="/exceptions/:id">{(params: { id: string }) => (tenant ? <ExceptionDetail id={params.id} /> : <Redirect to="/tenants" replace />)}</Route>
          <Route path="/orders">{tenant ? <Orders /> : <Redirect to="/tenants" replace />}</Route>
          <Route path="/orders/:id">{(params: { id: string }) => (tenant ? <OrderDetail id={params.id} /> : <Redirect to="/tenants" replace />)}</Route>
          <Route path="/inventory">{tenant ? <InventoryLookup sku={null} /> : <Redirect to="/tenants" replace />}</Route>
          <Route path="/inventory/:sku">{(params: { sku: string }) => (tenant ? <InventoryLookup sku={params.sku} /> : <Redirect to="/tenants" replace />)}</Route>
          <Route path="/customers">{tenant ? <Customers /> : <Redirect to="/tenants" replace />}</Route>
          <Route path="/customers/:id">{(params: { id: string }) => (tenant ? <CustomerDetail id={params.id} /> : <Redirect to="/tenants" replace />)}</Route>
          <Route path="/traces">{tenant ? <TraceLookup traceId={null} /> : <Redirect to="/tenants" replace />}</Route>
          <Route path="/traces/:traceId">{(params: { traceId: string }) => (tenant ? <TraceLookup traceId={params.traceId} /> : <Redirect to="/tenants" replace />)}</Route>
          <Route path="/keys">{tenant ? <Keys /> : <Redirect to="/tenants" replace />}</Route>
          <Route path="/audit">{tenant ? <AuditLog /> : <Redirect to="/tenants" replace />}</Route>
          <Route path="/partner-keys">{partner && !tenant ? <PartnerKeys /> : <Redirect to={home} replace />}</Route>
          <Route path="/usage">{partner && !tenant ? <PartnerUsage /> : <Redirect to={home} replace />}</Route>
          <Route>
            <Redirect to={home} replace />
          </Route>
        </Switch>
      </main>
      {brand.support.email || brand.support.url ? (
        <footer class="support">
          Support:{" "}
          {brand.support.url ? <a href={brand.support.url}>{brand.support.url}</a> : null}
          {brand.support.email && brand.support.url ? " · " : null}
          {brand.support.email ? <a href={`mailto:${brand.support.email}`}>{brand.support.email}</a> : null}
        </footer>
      ) : null}
    </>
  );
}

function NavItem({ href, children }: { href: string; children: ComponentChildren }) {
  const [location] = useLocation();
  const current = location === href || location.startsWith(`${href}/`);
  return (
    <li>
      <Link href={href} aria-current={current ? "page" : undefined}>
        {children}
      </Link>
    </li>
  );
}
