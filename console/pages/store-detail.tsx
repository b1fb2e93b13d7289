import { useEffect, useRef } from "preact/hooks";
import { Link } from "wouter-preact";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api, ok, type Schemas } from "../api.ts";
import { useApiData } from "../api-data.ts";
import { ageText, timeText } from "../refresh.ts";
import { mayRead, screenReaders, useConsole } from "../state.ts";

type Detail = Schemas["StoreHealthDetail"];

const dayMs = 24 * 60 * 60 * 1000;

/** The chart's columns: seconds, backlog, dead letters, online (1) or offline (0); the store's figures now close the line. */
function chartData(detail: Detail, now: number): uPlot.AlignedData {
  const points = detail.samples
    .filter((sample) => Date.parse(sample.at) >= now - dayMs)
    .map((sample) => ({ at: Date.parse(sample.at), status: sample.status, backlog: sample.backlog, deadLetters: sample.deadLetters }));
  if (detail.status !== "unknown") points.push({ at: now, status: detail.status, backlog: detail.backlog ?? 0, deadLetters: detail.deadLetters ?? 0 });
  return [
    points.map((point) => point.at / 1000),
    points.map((point) => point.backlog),
    points.map((point) => point.deadLetters),
    points.map((point) => (point.status === "online" ? 1 : point.status === "offline" ? 0 : null)),
  ];
}

/** The last 24 h drawn by uPlot: backlog and dead letters on the left axis, online or offline stepped on the right. */
function HealthChart({ detail }: { detail: Detail }) {
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = target.current!;
    const now = Date.now();
    const chart = new uPlot(
      {
        width: Math.max(320, element.clientWidth),
        height: 240,
        scales: { x: { time: true, range: [(now - dayMs) / 1000, now / 1000] }, status: { range: [-0.1, 1.1] } },
        series: [
          {},
          { label: "Backlog", stroke: "#1f6feb", width: 2, scale: "count" },
          { label: "Dead letters", stroke: "#9a3412", width: 2, scale: "count" },
          { label: "Online", stroke: "#116329", width: 2, scale: "status", paths: uPlot.paths.stepped!({ align: 1 }), value: (_, value) => (value === 1 ? "online" : value === 0 ? "offline" : "—") },
        ],
        axes: [
          {},
          { scale: "count", label: "transactions" },
          { scale: "status", side: 1, splits: () => [0, 1], values: (_, splits) => splits.map((value) => (value === 1 ? "online" : "offline")), grid: { show: false } },
        ],
      },
      chartData(detail, now),
      element,
    );
    return () => chart.destroy();
  }, [detail]);
  return <div class="chart" ref={target} aria-hidden="true" />;
}

/** One store: its health now, its last 24 h as a chart and, for screen readers and exact figures, as a table. */
export function StoreDetail({ location }: { location: string }) {
  const seesTraces = mayRead(useConsole(), screenReaders.traces);
  const { data: detail, error, refresh, refreshedAt } = useApiData(async (): Promise<Detail> => ok(await api.GET("/v1/stores/{location}/health", { params: { path: { location } } })), [location], {
    periodic: true,
  });

  return (
    <section aria-labelledby="store-title">
      <p><Link href="/overview">← Overview</Link></p>
      <h1 id="store-title">Store {location}</h1>
      <div class="refresh">
        <button type="button" onClick={refresh}>Refresh</button>
        <span class="hint">{refreshedAt ? `Updated ${refreshedAt.toLocaleTimeString()}, every 5 s while this page is open` : "Loading…"}</span>
      </div>
      {error ? <p role="alert" class="error">{error}</p> : null}
      {detail ? (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd><span class={`badge store-${detail.status}`} data-testid="store-status">{detail.status}</span>{detail.status === "offline" ? ` since ${timeText(detail.offlineSince)}` : detail.status === "online" ? ` since ${timeText(detail.onlineSince)}` : " (never reported)"}</dd>
            <dt>Backlog</dt>
            <dd>{detail.backlog ?? "—"}</dd>
            <dt>Oldest pending</dt>
            <dd>{ageText(detail.oldestPendingAgeSeconds)}</dd>
            <dt>Dead letters</dt>
            <dd>{detail.deadLetters ?? "—"}</dd>
            <dt>Last report</dt>
            <dd>{timeText(detail.lastReportAt)}</dd>
            <dt>Last push</dt>
            <dd>{timeText(detail.lastPushAt)}</dd>
            <dt>Last pull</dt>
            <dd>{timeText(detail.lastPullAt)}</dd>
            <dt>Agent version</dt>
            <dd>{detail.agentVersion ?? "—"}</dd>
          </dl>
          {seesTraces ? <p>A sale's way from this store's till to the stock: <Link href="/traces">follow the trace id its receipt names</Link>.</p> : null}
          <h2 id="history-title">The last 24 hours</h2>
          <p class="hint">Backlog and dead letters (left axis) and whether the store was online (right axis). The same samples follow as a table.</p>
          <HealthChart detail={detail} />
          {detail.samples.length === 0 ? <p>No samples yet.</p> : (
            <table aria-labelledby="history-title">
              <thead>
                <tr>
                  <th scope="col">At</th>
                  <th scope="col">Status</th>
                  <th scope="col">Backlog</th>
                  <th scope="col">Oldest pending</th>
                  <th scope="col">Dead letters</th>
                </tr>
              </thead>
              <tbody>
                {detail.samples.map((sample) => (
                  <tr key={sample.at}>
                    <th scope="row">{timeText(sample.at)}</th>
                    <td>{sample.status}</td>
                    <td>{sample.backlog}</td>
                    <td>{ageText(sample.oldestPendingAgeSeconds)}</td>
                    <td>{sample.deadLetters}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : null}
    </section>
  );
}
