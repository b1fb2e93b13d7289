import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./loopback.ts";

/*
 * An HTTPS-style file endpoint on loopback that takes journal files:
 * POST with `Idempotency-Key`, a second POST of a key it already took is
 * answered 200 again and stored nothing (as an idempotent receiver does), and
 * counted, so a test sees how often the sender resent. It can answer 503 or
 * take a file and cut the connection before answering.
 */

export interface InboxFile {
  key: string;
  contentType: string;
  body: string;
}

type Fault = "5xx" | "cut-after-apply";

export class FakeFileInbox {
  readonly files = new Map<string, InboxFile>();
  readonly stats = { posts: 0, resent: 0, withoutKey: 0 };
  readonly #faults: Fault[] = [];
  #server: Server | null = null;
  #port = 0;

  static async start(): Promise<FakeFileInbox> {
    const inbox = new FakeFileInbox();
    inbox.#server = createServer((req, res) => void inbox.#handle(req, res));
    inbox.#port = await listenOnLoopback(inbox.#server, 0);
    return inbox;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/inbox/journals`;
  }

  failNext(...faults: Fault[]): void {
    this.#faults.push(...faults);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== "POST" || !req.url?.startsWith("/inbox/journals")) return void res.writeHead(404).end();
    this.stats.posts += 1;
    const key = req.headers["idempotency-key"];
    if (typeof key !== "string" || key === "") {
      this.stats.withoutKey += 1;
      return void res.writeHead(400).end("Idempotency-Key required");
    }
    const fault = this.#faults.shift();
    if (fault === "5xx") return void res.writeHead(503).end("try later");
    if (this.files.has(key)) this.stats.resent += 1;
    else this.files.set(key, { key, contentType: String(req.headers["content-type"]), body: Buffer.concat(chunks).toString("utf8") });
    if (fault === "cut-after-apply") return void req.socket.destroy();
    res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ received: key }));
  }
}
