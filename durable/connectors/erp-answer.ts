/**
 * How an ERP call ended, whichever the ERP: `throttled` (429, Retry-After in
 * ms when given), `unauthorized` (the token is not taken: get another),
 * `rejected` (the credentials themselves are refused), `transient` (5xx,
 * timeout, network: send again later), `refused` (the ERP will not take this
 * journal as it is: a person must look).
 */
export type ErpAnswer<T = unknown> =
  | { ok: true; data: T }
  | { ok: false; kind: "throttled"; retryAfterMs: number | null; message: string }
  | { ok: false; kind: "unauthorized" | "rejected" | "transient" | "refused"; message: string };

/** A bearer token and when it stops working (epoch ms). */
export interface BearerToken {
  value: string;
  expiresAt: number;
}

/** One HTTP call to an ERP, its answer classified; the body read as JSON when there is one. */
export async function erpCall<T>(remote: string, url: string, init: RequestInit & { timeoutMs?: number }): Promise<ErpAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 30_000) });
  } catch (error) {
    return { ok: false, kind: "transient", message: `no answer from ${remote}: ${String(error).slice(0, 200)}` };
  }
  const text = await response.text();
  const message = `${remote} ${response.status}${text ? `: ${text.slice(0, 300)}` : ""}`;
  if (response.status === 429) {
    const seconds = Number(response.headers.get("retry-after"));
    return { ok: false, kind: "throttled", retryAfterMs: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null, message };
  }
  if (response.status === 401) return { ok: false, kind: "unauthorized", message };
  if (response.status >= 500 || response.status === 408) return { ok: false, kind: "transient", message };
  if (response.status >= 400) return { ok: false, kind: "refused", message };
  try {
    return { ok: true, data: (text ? JSON.parse(text) : null) as T };
  } catch {
    return { ok: true, data: null as T };
  }
}

/** A token from an OAuth 2.0 token endpoint (form-encoded client credentials); a 400/401 means the credentials are refused. */
export async function fetchBearerToken(remote: string, tokenUrl: string, form: Record<string, string>, now: number): Promise<ErpAnswer<BearerToken>> {
  const answer = await erpCall<{ access_token: string; expires_in: number }>(remote, tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams(form).toString(),
  });
  if (!answer.ok) return answer.kind === "refused" || answer.kind === "unauthorized" ? { ok: false, kind: "rejected", message: `${remote} refused the credentials: ${answer.message}` } : answer;
  // A minute's margin, so a token is never used in its last seconds.
  return { ok: true, data: { value: answer.data.access_token, expiresAt: now + Math.max(60, Number(answer.data.expires_in) - 60) * 1000 } };
}
