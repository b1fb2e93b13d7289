import { useEffect, useState } from "preact/hooks";
import { useLocation } from "wouter-preact";
import { api, messageOf, ok, type Schemas } from "../api.ts";
import { useConsole } from "../state.ts";

/** A partner's tenants; opening one makes every later call act on it (X-Shelfsync-Tenant). */
export function Tenants() {
  const state = useConsole();
  const [, navigate] = useLocation();
  const [tenants, setTenants] = useState<Schemas["Tenant"][] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api
      .GET("/v1/tenants")
      .then((answer) => setTenants(ok(answer).tenants))
      .catch((failure: unknown) => setError(messageOf(failure)));
  }, []);

  function open(id: string) {
    state.chooseTenant(id);
    navigate("/overview");
  }

  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">Tenants</h1>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {tenants === null && !error ? <p>Loading…</p> : null}
      {tenants?.length === 0 ? <p>No tenants yet.</p> : null}
      {tenants && tenants.length > 0 ? (
        <table>
          <caption>Tenants of partner {state.session?.partner}</caption>
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="visually-hidden">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tenants.map((tenant) => (
              <tr key={tenant.id} aria-current={state.tenant === tenant.id ? "true" : undefined}>
                <td>{tenant.id}</td>
                <td>{tenant.name}</td>
                <td>{tenant.createdAt}</td>
                <td>
                  <button type="button" onClick={() => open(tenant.id)} aria-label={`Open tenant ${tenant.id}`}>
                    Open
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
