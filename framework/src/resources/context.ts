import { AsyncLocalStorage } from 'node:async_hooks';
import type { Transaction } from '../storage/index.js';

/** Request headers, lower-cased names. */
export type RequestHeaders = ReadonlyMap<string, string>;

/** What a resource method knows about the request it serves; over HTTP the transport fills it. */
export interface RequestContext {
  readonly method: string;
  readonly url: string;
  readonly headers: RequestHeaders;
  readonly ip: string;
  /** Milliseconds since the epoch when the request arrived. */
  readonly timestamp: number;
  user?: unknown;
  /** Handlers may set the response status (otherwise it follows from the method and result). */
  status?: number;
  /** Handlers may add response headers. */
  readonly responseHeaders: Record<string, string>;
  /** Set by table reads so the transport can emit an ETag for exactly that record. */
  record?: { value: object; version: number };
  /**
   * For WebSocket and SSE connections: aborted when the connection closes. Subscriptions opened
   * under the context end with it, even inside a `connect` generator that is waiting on them.
   */
  signal?: AbortSignal;
  /**
   * The transaction table reads and writes under this context join. An HTTP request (and
   * `transaction()`) gets one on first use, committed before the response is sent.
   */
  transaction?: Transaction;
  /** Whether reads and writes under this context form one transaction (otherwise each write commits at once). */
  readonly transactional?: boolean;
  /**
   * HTTP requests, with `authentication.enableSessions`: checks the password, makes this request
   * that user and sets the session cookie in `responseHeaders` (Harper's `request.login`).
   * A wrong password is a 401, like `POST /login`.
   */
  login?(username: string, password: string): Promise<void>;
  /** HTTP requests, with sessions on: ends the session of the request's cookie and drops the cookie. */
  logout?(): Promise<void>;
}

/** Per-app async context: `getContext()` in user code answers for the request it runs under. */
export class ContextStore {
  readonly #storage = new AsyncLocalStorage<RequestContext>();

  run<T>(context: RequestContext, fn: () => T): T {
    return this.#storage.run(context, fn);
  }

  /** `fn.apply(self, args)` under `context`, without a closure per call (the request hot path). */
  call(context: RequestContext, fn: (...args: unknown[]) => unknown, self: unknown, args: unknown[]): unknown {
    return this.#storage.run(context, Reflect.apply, fn, self, args);
  }

  readonly getContext = (): RequestContext | undefined => this.#storage.getStore();
}
