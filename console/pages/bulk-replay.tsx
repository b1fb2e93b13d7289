import { ApiProblem, api, messageOf, ok } from "../api.ts";

/** How many replays run at once: a few, so a page of 25 neither waits in line nor floods the tenant's exception queue. */
const replaysAtOnce = 3;

export interface ReplayOutcome {
  id: string;
  result: "resolved" | "open" | "retrying" | "already_closed" | "conflict" | "error";
  detail: string;
}

const resultText: Record<ReplayOutcome["result"], string> = {
  resolved: "resolved",
  open: "still open",
  retrying: "retrying",
  already_closed: "already closed",
  conflict: "conflict",
  error: "refused",
};

/** Replays one exception, the answer (or its refusal) as an outcome; each POST gets its own Idempotency-Key from the client's middleware. */
async function replayOne(id: string): Promise<ReplayOutcome> {
  try {
    const answer = ok(await api.POST("/v1/exceptions/{id}/replay", { params: { path: { id } }, body: {} }));
    if (answer.outcome === "failed") return { id, result: "open", detail: answer.exception.lastFailure?.reason ?? answer.detail };
    if (answer.outcome === "enqueued") return { id, result: "retrying", detail: answer.detail };
    return { id, result: answer.outcome, detail: answer.detail };
  } catch (failure) {
    const conflict = failure instanceof ApiProblem && failure.code === "conflict";
    return { id, result: conflict ? "conflict" : "error", detail: conflict ? "another replay of it was running" : messageOf(failure) };
  }
}

/**
 * Replays each exception, at most `replaysAtOnce` at a time; the outcomes in
 * the order of `ids`. A refusal is an outcome, not a throw: one exception's
 * conflict must not hide what happened to the others.
 */
export async function replayEach(ids: readonly string[]): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const at = next++;
      outcomes[at] = await replayOne(ids[at]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(replaysAtOnce, ids.length) }, worker));
  return outcomes;
}

/** What a bulk replay did to each exception, announced politely to screen readers. */
export function BulkReplayOutcomes({ outcomes }: { outcomes: ReplayOutcome[] | null }) {
  const resolved = outcomes?.filter((outcome) => outcome.result === "resolved").length ?? 0;
  return (
    <div role="status" class="outcome">
      {outcomes ? (
        <table class="replay-outcomes">
          <caption>Replayed {outcomes.length}: {resolved} resolved</caption>
          <thead>
            <tr>
              <th scope="col">Exception</th>
              <th scope="col">Outcome</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {outcomes.map((outcome) => (
              <tr key={outcome.id} data-exception={outcome.id}>
                <th scope="row">{outcome.id}</th>
                <td data-testid="replay-outcome">{resultText[outcome.result]}</td>
                <td>{outcome.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
