import { Agent, createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * What the proxy does with one request:
 * - `pass`: forwards it and relays the answer;
 * - `drop`: closes the connection without forwarding (the edge never sees it);
 * - `hang`: neither forwards nor answers, and closes the connection after
 *   `delayMs` (the edge never sees it; a caller with a shorter timeout gives up first);
 * - `delay`: forwards it, then holds the answer back for `delayMs`;
 * - `cut`: forwards it, reads the edge's whole answer, then closes the
 *   connection without answering (the edge applied it; the agent never hears);
 * - `truncate`: forwards it, sends the status, headers and half the body, then closes.
 */
export type FlakyAction = "pass" | "drop" | "hang" | "delay" | "cut" | "truncate";

export interface ProxiedRequest {
  method: string;
  path: string;
  action: FlakyAction;
  /** The edge's status, when the request was forwarded and answered. */
  upstreamStatus?: number;
}

export interface FlakyProxyOptions {
  /** 0 (the default): one the OS chooses. */
  port?: number;
  /** The edge's base URL, e.g. http://127.0.0.1:8787 */
  target: string;
  /** Chooses the action for the n-th request (from 0) while the proxy is not clean. */
  schedule: (n: number) => { action: FlakyAction; delayMs?: number };
}

const hopByHop = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "host", "content-length"]);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !hopByHop.has(name)) out[name] = value;
  return out;
}

/**
 * An HTTP proxy between the store agent and the edge that misbehaves by a
 * (seeded) schedule until `clean` is set, then forwards everything faithfully.
 *
 * @example
 * const proxy = await FlakyProxy.start({ target: edge.url, schedule: () => ({ action: "cut" }) });
 * proxy.clean = true;
 */
export class FlakyProxy {
  readonly requests: ProxiedRequest[] = [];
  clean = false;
  readonly #options: FlakyProxyOptions;
  readonly #server: Server;
  readonly #upstream = new Agent({ keepAlive: true });
  #seen = 0;
  #port = 0;

  private constructor(options: FlakyProxyOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch(() => res.socket?.destroy());
    });
  }

  static async start(options: FlakyProxyOptions): Promise<FlakyProxy> {
    const proxy = new FlakyProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once("error", reject);
      proxy.#server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    proxy.#port = (proxy.#server.address() as AddressInfo).port;
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Requests that matched `filter`, counted by action. */
  count(filter: (r: ProxiedRequest) => boolean): Record<FlakyAction, number> {
    const counts: Record<FlakyAction, number> = { pass: 0, drop: 0, hang: 0, delay: 0, cut: 0, truncate: 0 };
    for (const r of this.requests) if (filter(r)) counts[r.action] += 1;
    return counts;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#upstream.destroy();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const { action, delayMs = 0 } = this.clean ? { action: "pass" as const } : this.#options.schedule(this.#seen++);
    const record: ProxiedRequest = { method: req.method ?? "GET", path: req.url ?? "/", action };
    this.requests.push(record);
    if (action === "drop") {
      req.socket.destroy();
      return;
    }
    if (action === "hang") {
      const timer = setTimeout(() => req.socket.destroy(), delayMs);
      req.socket.once("close", () => clearTimeout(timer));
      return;
    }
    const answer = await this.#forward(req, body);
    record.upstreamStatus = answer.status;
    if (action === "cut") {
      req.socket.destroy();
      return;
    }
    if (action === "delay") await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (action === "truncate") {
      res.writeHead(answer.status, { ...answer.headers, "content-length": String(answer.body.length) });
      res.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)), () => req.socket.destroy());
      return;
    }
    res.writeHead(answer.status, answer.headers).end(answer.body);
  }

  #forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const target = new URL(req.url ?? "/", this.#options.target);
    return new Promise((resolve, reject) => {
      const upstream = request(
        target,
        { method: req.method, headers: { ...forwardable(req.headers), "content-length": String(body.length) }, agent: this.#upstream },
        (response) => {
          const parts: Buffer[] = [];
          response.on("data", (chunk: Buffer) => parts.push(chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 502, headers: forwardable(response.headers), body: Buffer.concat(parts) }));
          response.on("error", reject);
        },
      );
      upstream.on("error", reject);
      upstream.end(body);
    });
  }
}
