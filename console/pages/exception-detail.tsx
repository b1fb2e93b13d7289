import { useState } from "preact/hooks";
import { Link } from "wouter-preact";
import { api, messageOf, ok } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { canManage, useConsole } from "../state.ts";

/** One exception: its payload and history, and (for who may) replay, resolve or ignore with a note. */
export function ExceptionDetail({ id }: { id: string }) {
  const state = useConsole();
  const { data: exception, error, setData: setException, setError } = useApiData(async () => ok(await api.GET("/v1/exceptions/{id}", { params: { path: { id } } })), [id]);
  const [outcome, setOutcome] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const [closeAs, setCloseAs] = useState<"resolved" | "ignored">("resolved");
  const [busy, setBusy] = useState(false);

  async function act(run: () => Promise<void>) {
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      await run();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  const replay = () =>
    act(async () => {
      const answer = ok(await api.POST("/v1/exceptions/{id}/replay", { params: { path: { id } }, body: note.trim() ? { note: note.trim() } : {} }));
      setException(answer.exception);
      setOutcome(`Replay ${answer.outcome}: ${answer.detail}`);
    });
  const close = () =>
    act(async () => {
      const closed = ok(await api.POST("/v1/exceptions/{id}/resolve", { params: { path: { id } }, body: { note: note.trim(), state: closeAs } }));
      setException(closed);
      setOutcome(`Marked ${closed.state}`);
      setNote("");
    });

  const open = exception?.state === "open";
  return (
    <section aria-labelledby="exception-title">
      <p><Link href="/exceptions">← All exceptions</Link></p>
      <h1 id="exception-title">Exception {id}</h1>
      {error ? <p role="alert" class="error">{error}</p> : null}
      <p role="status" class="outcome">{outcome ?? ""}</p>
      {exception ? (
        <>
          <dl class="facts">
            <dt>Type</dt><dd>{exception.type}</dd>
            <dt>State</dt><dd><span class={`badge state-${exception.state}`} data-testid="exception-state">{exception.state}</span></dd>
            <dt>Subject</dt><dd>{exception.subject}</dd>
            <dt>Correlation</dt><dd>{exception.correlationId ?? "—"}</dd>
            <dt>Replays</dt><dd>{exception.replays}</dd>
            <dt>Last failure</dt><dd>{exception.lastFailure ? `${exception.lastFailure.reason} (${exception.lastFailure.at})` : "—"}</dd>
          </dl>
          <h2>Payload</h2>
          <pre class="payload" tabIndex={0} aria-label="Payload (JSON)">{JSON.stringify(exception.payload, null, 2)}</pre>
          <h2>History</h2>
          <ol class="history">
            {exception.transitions.map((transition, at) => (
              <li key={at}>
                {transition.at}: {transition.from ?? "recorded"} → {transition.to} by {transition.by}
                {transition.note ? ` — “${transition.note}”` : ""}
              </li>
            ))}
          </ol>
          {canManage(state) && open ? (
            <form class="actions" aria-label="Act on the exception" onSubmit={(event) => event.preventDefault()}>
              <h2>Act on it</h2>
              <label for="note">Note</label>
              <textarea id="note" rows={3} maxLength={1000} value={note} onInput={(event) => setNote(event.currentTarget.value)} aria-describedby="note-hint" />
              <p id="note-hint" class="hint">Kept in the history. Optional for a replay; required to resolve or ignore.</p>
              <div class="buttons">
                <button type="button" disabled={busy} onClick={() => void replay()}>Replay</button>
                <fieldset>
                  <legend>Close as</legend>
                  <label><input type="radio" name="close-as" value="resolved" checked={closeAs === "resolved"} onChange={() => setCloseAs("resolved")} /> resolved</label>
                  <label><input type="radio" name="close-as" value="ignored" checked={closeAs === "ignored"} onChange={() => setCloseAs("ignored")} /> ignored</label>
                </fieldset>
                <button type="button" disabled={busy || note.trim() === ""} onClick={() => void close()}>Close with note</button>
              </div>
            </form>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
