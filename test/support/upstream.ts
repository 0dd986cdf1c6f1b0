import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A slow upstream JSON API over real HTTP, for caching tests and the cache-proxy example: records
 * at `/posts/{id}`, a count of the GETs each id received, switchable failure, and `/events`, a
 * newline-delimited JSON stream of the changes `push` announces (for active caching).
 */
export class Upstream {
  readonly records = new Map<string, Record<string, unknown>>();
  readonly gets = new Map<string, number>();
  readonly writes: Array<{ method: string; id: string; body: unknown }> = [];
  delayMs = 50;
  failing = false;
  url = '';
  readonly #server: Server;
  readonly #listeners = new Set<ServerResponse>();

  private constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(): Promise<Upstream> {
    const upstream = new Upstream();
    await new Promise<void>((resolve) => upstream.#server.listen(0, '127.0.0.1', resolve));
    upstream.url = `http://127.0.0.1:${(upstream.#server.address() as AddressInfo).port}`;
    return upstream;
  }

  getsOf(id: string): number {
    return this.gets.get(id) ?? 0;
  }

  /** Announces a change on `/events`. */
  push(event: { type: string; id: string; value?: Record<string, unknown> }): void {
    for (const listener of this.#listeners) listener.write(`${JSON.stringify(event)}\n`);
  }

  close(): Promise<void> {
    for (const listener of this.#listeners) listener.end();
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.flushHeaders();
      this.#listeners.add(res);
      req.on('close', () => this.#listeners.delete(res));
      return;
    }
    const id = decodeURIComponent(/^\/posts\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '');
    let body = '';
    for await (const chunk of req) body += String(chunk);
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (this.failing) return void res.writeHead(503).end('upstream is down');
    if (req.method === 'GET') {
      this.gets.set(id, this.getsOf(id) + 1);
      const record = this.records.get(id);
      if (!record) return void res.writeHead(404).end();
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(record));
    }
    this.writes.push({ method: req.method ?? '', id, body: body === '' ? undefined : JSON.parse(body) });
    if (req.method === 'PUT') this.records.set(id, JSON.parse(body) as Record<string, unknown>);
    if (req.method === 'DELETE') this.records.delete(id);
    res.writeHead(204).end();
  }
}
