import { LodeError } from '../errors/index.js';
import { codecForContentType } from './codecs.js';
import type { HttpExchange } from './exchange.js';
import type { RouteTable } from './routes.js';

/** `POST /login` and `POST /refresh`, answered by Lode itself before any resource. */
export function isAuthEndpoint(method: string, url: string): boolean {
  return method === 'POST' && (url === '/login' || url === '/refresh');
}

/**
 * `POST /login` with `{"username", "password"}` → `{operation_token, refresh_token}`;
 * `POST /refresh` with the refresh token as `Authorization: Bearer` → `{operation_token}`
 * (Harper's `create_authentication_tokens` and `refresh_operation_token`).
 */
export async function serveAuthEndpoint(exchange: HttpExchange, routes: RouteTable, body: Promise<Buffer> | undefined): Promise<void> {
  let tokens: object;
  if (exchange.url === '/login') {
    const raw = body === undefined ? Buffer.alloc(0) : await body;
    if (raw.length === 0) throw new LodeError('BAD_REQUEST', 'Send {"username": "…", "password": "…"}');
    const data = codecForContentType(exchange.headers.get('content-type')).decode(raw) as Record<string, unknown> | null;
    if (typeof data !== 'object' || data === null) throw new LodeError('BAD_REQUEST', 'Send {"username": "…", "password": "…"}');
    tokens = await routes.auth.login(data.username, data.password, exchange.ip);
  } else {
    tokens = await routes.auth.refresh(exchange.headers.get('authorization'));
  }
  exchange.send(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, JSON.stringify(tokens));
}
