import { api, ApiProblem, messageOf, ok } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { LookupForm } from "../lookup-form.tsx";

const precise = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", fractionalSecondDigits: 3, hourCycle: "h23" });

/** A time to the millisecond: hops of one transaction are often milliseconds apart. */
const preciseTime = (at: string) => precise.format(new Date(at));

/** "+12 ms", "+1.25 s", "+3 min 4 s": the time between two hops. */
export function gapText(ms: number): string {
  if (ms < 1000) return `+${ms} ms`;
  if (ms < 60_000) return `+${(ms / 1000).toFixed(2)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `+${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `+${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** One trace's hops in time order, with the time each took since the previous and since the first. */
function Hops({ traceId }: { traceId: string }) {
  const { data: trace, error } = useApiData(async () => ok(await api.GET("/v1/traces/{traceId}", { params: { path: { traceId } } })), [traceId], {
    errorText: (failure) => (failure instanceof ApiProblem && failure.code === "not_found" ? `No hops recorded of trace ${traceId} (hops are kept 7 days).` : messageOf(failure)),
  });

  if (error) return <p role="alert" class="error">{error}</p>;
  if (!trace) return <p>Loading…</p>;
  const hops = [...trace.hops].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const first = Date.parse(hops[0]!.at);
  const last = Date.parse(hops[hops.length - 1]!.at);
  return (
    <>
      <p data-testid="trace-summary">
        {hops.length} hops over {gapText(last - first).slice(1)}, from {hops[0]!.hop} at {hops[0]!.where} to {hops[hops.length - 1]!.hop} at {hops[hops.length - 1]!.where}.
      </p>
      <ol class="timeline" aria-label="Hops, oldest first">
        {hops.map((hop, index) => (
          <li key={index}>
            <span class="timeline-gap">{index === 0 ? "start" : gapText(Date.parse(hop.at) - Date.parse(hops[index - 1]!.at))}</span>
            <span class="timeline-hop">{hop.hop}</span> at {hop.where}
          </li>
        ))}
      </ol>
      <table>
        <caption>Hops of trace {trace.traceId}, oldest first</caption>
        <thead>
          <tr>
            <th scope="col">Hop</th>
            <th scope="col">At</th>
            <th scope="col">Since previous</th>
            <th scope="col">Since start</th>
            <th scope="col">Where</th>
            <th scope="col">Span</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {hops.map((hop, index) => (
            <tr key={index}>
              <th scope="row">{hop.hop}</th>
              <td>{preciseTime(hop.at)}</td>
              <td>{index === 0 ? "—" : gapText(Date.parse(hop.at) - Date.parse(hops[index - 1]!.at))}</td>
              <td>{gapText(Date.parse(hop.at) - first)}</td>
              <td>{hop.where}</td>
              <td>{hop.spanId ?? "—"}</td>
              <td>{hop.detail ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/** Trace: enter or follow a trace id (a POS receipt names it) and see its hops from the till to the stock movement. */
export function TraceLookup({ traceId }: { traceId: string | null }) {
  return (
    <section aria-labelledby="trace-title">
      <h1 id="trace-title">{traceId ? "Trace" : "Follow a trace"}</h1>
      <LookupForm
        name="Follow a trace"
        label="Trace id"
        base="/traces"
        value={traceId ?? ""}
        pattern="[0-9a-f]{32}"
        submit="Follow"
        hint="32 lowercase hex digits: the trace id a POS receipt names, or the middle part of a W3C traceparent."
      />
      {traceId ? <Hops key={traceId} traceId={traceId} /> : null}
    </section>
  );
}
