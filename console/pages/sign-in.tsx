import { useState } from "preact/hooks";
import { api, messageOf, ok } from "../api.ts";
import { useConsole } from "../state.ts";

/** Exchanges an API key (tenant or partner) for a session cookie; the key itself is kept nowhere in the browser. */
export function SignIn() {
  const state = useConsole();
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = ok(await api.POST("/v1/sessions", { headers: { authorization: `Bearer ${key.trim()}` } }));
      setKey("");
      state.signedIn(session);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to the {state.brand.displayName} console</h1>
      <form onSubmit={(event) => void submit(event)}>
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autocomplete="off" required value={key} onInput={(event) => setKey(event.currentTarget.value)} aria-describedby="api-key-hint" />
        <p id="api-key-hint" class="hint">
          A tenant key (ssk_…) or a partner key (ssp_…). The console gets a session that lasts 8 hours (1 hour idle) and can do exactly what the key can.
        </p>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error ? (
          <p role="alert" class="error">
            {error}
          </p>
        ) : null}
      </form>
    </main>
  );
}
