// PUTs over node:http with kept-alive connections, for the benchmarks' own writers: fetch costs
// most of a core at a few thousand requests a second, which the servers under test then lack.
import { Agent, request } from 'node:http';

export interface Putter {
  /** PUTs `body` as JSON to `path`; rejects unless the server answers 204. */
  put(path: string, body: unknown): Promise<void>;
  close(): void;
}

export function keptAlivePutter(url: string, maxSockets = 64): Putter {
  const agent = new Agent({ keepAlive: true, maxSockets });
  return {
    put(path, body) {
      const payload = JSON.stringify(body);
      return new Promise((resolve, reject) => {
        const req = request(`${url}${path}`, { method: 'PUT', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`PUT ${path}: ${res.statusCode}`))));
        });
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}
