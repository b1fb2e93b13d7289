import { createServer } from "node:http";
import { listenOnLoopback } from "../test-e2e/fakes/loopback.ts";

/** One call the connector made to a remote, as the proxy in front of it saw it, on the bench's clock. */
export interface RemoteCall {
  method: string;
  path: string;
  status: number;
  startedAt: number;
  endedAt: number;
  /** The answer's first 400 characters (enough for a feed's status). */
  excerpt: string;
}

export interface CallLog {
  /** Point the connection here instead of at the remote. */
  url: string;
  calls: RemoteCall[];
  close(): Promise<void>;
}

const dropped = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

/**
 * A loopback proxy in front of a test remote that records every call's
 * method, path, status and timing, so a benchmark can say what the connector
 * did and when without asking the edge. A remote's own address in an answer
 * (a presigned document URL) is rewritten to the proxy's, so those calls are
 * recorded too. It adds about a millisecond to each call.
 */
export async function startCallLog(remote: string): Promise<CallLog> {
  const calls: RemoteCall[] = [];
  let own = "";
  const server = createServer((req, res) => {
    const startedAt = Date.now();
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      try {
        const headers = Object.fromEntries(Object.entries(req.headers).filter(([name, value]) => !dropped.has(name) && typeof value === "string")) as Record<string, string>;
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const answer = await fetch(`${remote}${req.url}`, { method: req.method, headers, body });
        const text = Buffer.from(await answer.arrayBuffer()).toString("utf8").replaceAll(remote, own);
        const answerHeaders = Object.fromEntries([...answer.headers].filter(([name]) => !dropped.has(name)));
        res.writeHead(answer.status, { ...answerHeaders, "content-length": Buffer.byteLength(text) });
        res.end(text);
        calls.push({ method: req.method ?? "GET", path: req.url ?? "/", status: answer.status, startedAt, endedAt: Date.now(), excerpt: text.slice(0, 400) });
      } catch (error) {
        res.socket?.destroy();
        calls.push({ method: req.method ?? "GET", path: req.url ?? "/", status: 0, startedAt, endedAt: Date.now(), excerpt: String(error) });
      }
    });
  });
  own = `http://127.0.0.1:${await listenOnLoopback(server, 0)}`;
  return {
    url: own,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
