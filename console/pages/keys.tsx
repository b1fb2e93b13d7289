import { useState } from "preact/hooks";
import { api, messageOf, ok, type Schemas } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { RevokeKey, SecretOnce } from "../key-parts.tsx";
import { canManage, useConsole } from "../state.ts";

type Role = Schemas["ApiKey"]["role"];
const roles: Role[] = ["admin", "channel", "store", "erp", "readonly"];

/** The tenant's keys: list, create (the secret shown once), revoke. */
export function Keys() {
  const state = useConsole();
  const { data: keys, error, setError, refresh: load } = useApiData(async () => ok(await api.GET("/v1/keys")).keys, []);
  const [created, setCreated] = useState<{ id: string; key: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [form, setForm] = useState({ name: "", role: "readonly" as Role, binding: "" });
  const manage = canManage(state);

  async function create(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      const bound = form.role === "channel" ? { channel: form.binding } : form.role === "store" ? { location: form.binding } : {};
      const key = ok(await api.POST("/v1/keys", { body: { role: form.role, ...(form.name ? { name: form.name } : {}), ...bound } }));
      setCreated({ id: key.id, key: key.key ?? "" });
      setForm({ name: "", role: "readonly", binding: "" });
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  async function revoke(id: string) {
    setError(null);
    setConfirming(null);
    try {
      ok(await api.DELETE("/v1/keys/{id}", { params: { path: { id } } }));
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {created ? <SecretOnce created={created} onDone={() => setCreated(null)} /> : null}
      {keys ? (
        <table>
          <caption>Keys of tenant {state.tenant}</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Bound to</th>
              <th scope="col">Status</th>
              <th scope="col">Last used</th>
              {manage ? <th scope="col"><span class="visually-hidden">Action</span></th> : null}
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td>{key.id}</td>
                <td>{key.name ?? "—"}</td>
                <td>{key.role}</td>
                <td>{key.channel ?? key.location ?? "—"}</td>
                <td><span class={`badge key-${key.status}`}>{key.status}</span></td>
                <td>{key.lastUsedAt ?? "never"}</td>
                {manage ? (
                  <td>
                    <RevokeKey id={key.id} active={key.status === "active"} confirming={confirming === key.id} onConfirming={setConfirming} onRevoke={(id) => void revoke(id)} />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {manage ? (
        <form class="create-key" onSubmit={(event) => void create(event)} aria-labelledby="create-key-title">
          <h2 id="create-key-title">Create a key</h2>
          <label for="key-name">Name</label>
          <input id="key-name" value={form.name} maxLength={200} onInput={(event) => setForm({ ...form, name: event.currentTarget.value })} />
          <label for="key-role">Role</label>
          <select id="key-role" value={form.role} onChange={(event) => setForm({ ...form, role: event.currentTarget.value as Role })}>
            {roles.map((role) => <option key={role} value={role}>{role}</option>)}
          </select>
          {form.role === "channel" || form.role === "store" ? (
            <>
              <label for="key-binding">{form.role === "channel" ? "Channel" : "Location"}</label>
              <input id="key-binding" required value={form.binding} onInput={(event) => setForm({ ...form, binding: event.currentTarget.value })} />
            </>
          ) : null}
          <button type="submit">Create key</button>
        </form>
      ) : null}
    </section>
  );
}
