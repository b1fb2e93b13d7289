import { useState } from "preact/hooks";
import { api, messageOf, ok } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { RevokeKey, SecretOnce } from "../key-parts.tsx";
import { useConsole } from "../state.ts";

/** The partner's own keys (a partner session not acting on a tenant): list, create (the secret shown once), revoke. */
export function PartnerKeys() {
  const partner = useConsole().session!.partner!;
  const [created, setCreated] = useState<{ id: string; key: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [name, setName] = useState("");
  const path = { partner };
  const { data: keys, error, setError, refresh: load } = useApiData(async () => ok(await api.GET("/v1/partners/{partner}/keys", { params: { path } })).keys, [partner]);

  async function create(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      const key = ok(await api.POST("/v1/partners/{partner}/keys", { params: { path }, body: name.trim() ? { name: name.trim() } : {} }));
      setCreated({ id: key.id, key: key.key ?? "" });
      setName("");
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  async function revoke(id: string) {
    setError(null);
    setConfirming(null);
    try {
      ok(await api.DELETE("/v1/partners/{partner}/keys/{id}", { params: { path: { partner, id } } }));
      await load();
    } catch (failure) {
      setError(messageOf(failure));
    }
  }

  return (
    <section aria-labelledby="partner-keys-title">
      <h1 id="partner-keys-title">Partner keys</h1>
      <p class="hint">A partner key manages the partner's tenants, keys, usage and brand. The last usable one cannot be revoked.</p>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {created ? <SecretOnce created={created} onDone={() => setCreated(null)} /> : null}
      {keys ? (
        <table>
          <caption>Keys of partner {partner}</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col"><span class="visually-hidden">Action</span></th>
            </tr>
          </thead>
          <tbody>
            {keys.map((key) => (
              <tr key={key.id}>
                <td>{key.id}</td>
                <td>{key.name ?? "—"}</td>
                <td><span class={`badge key-${key.status}`}>{key.status}</span></td>
                <td>{key.expiresAt ?? "never"}</td>
                <td>{key.lastUsedAt ?? "never"}</td>
                <td>
                  <RevokeKey id={key.id} active={key.status === "active"} confirming={confirming === key.id} onConfirming={setConfirming} onRevoke={(id) => void revoke(id)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form class="create-key" onSubmit={(event) => void create(event)} aria-labelledby="create-partner-key-title">
        <h2 id="create-partner-key-title">Create a partner key</h2>
        <label for="partner-key-name">Name</label>
        <input id="partner-key-name" value={name} maxLength={200} onInput={(event) => setName(event.currentTarget.value)} />
        <button type="submit">Create key</button>
      </form>
    </section>
  );
}
