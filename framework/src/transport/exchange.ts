import { STATUS_CODES } from 'node:http';
import type { HttpResponse } from 'uWebSockets.js';

const statusLines = new Map<number, string>();
function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
    statusLines.set(status, line);
  }
  return line;
}

/**
 * A body over the limit is still read (and discarded) up to this many extra bytes, so the client
 * gets its 413 instead of a broken pipe; past it the connection is dropped.
 */
const DISCARD_ALLOWANCE = 64 * 1024 * 1024;

/** Flush streamed output in chunks of about this size. */
const STREAM_CHUNK_BYTES = 64 * 1024;

/**
 * One HTTP request/response over uWS. uWS forbids touching a response after the client went away
 * (`onAborted`) or after it ended, so every write goes through here and checks `done` first.
 */
export class HttpExchange {
  readonly method: string;
  readonly url: string;
  readonly query: string;
  readonly headers: Map<string, string>;
  readonly startedAt = Date.now();
  /** Set when the client disconnected or the response has been completed. */
  done = false;
  aborted = false;
  readonly #res: HttpResponse;
  #writable: (() => void) | undefined;
  #bodyAborted: ((error: Error) => void) | undefined;

  constructor(res: HttpResponse, method: string, url: string, query: string, headers: Map<string, string>) {
    this.#res = res;
    this.method = method;
    this.url = url;
    this.query = query;
    this.headers = headers;
  }

  #watching = false;

  /**
   * uWS needs `onAborted` only for responses finished after the route callback returns; a
   * synchronous answer skips it. Must be called inside the route callback.
   */
  watchAbort(): void {
    if (this.#watching || this.done) return;
    this.#watching = true;
    this.#res.onAborted(() => this.#abort());
  }

  #ip: string | undefined;

  /** Read on first use: asking uWS for the peer address costs more than the rest of a small GET. */
  get ip(): string {
    if (this.#ip === undefined) this.#ip = this.done ? '' : Buffer.from(this.#res.getRemoteAddressAsText()).toString();
    return this.#ip;
  }

  /** Called once if the client disconnects (a live stream releases its source). Needs `watchAbort`. */
  onAbort: (() => void) | undefined;

  #abort(): void {
    this.aborted = true;
    this.done = true;
    this.#writable?.();
    this.#bodyAborted?.(new Error('The client disconnected before sending the whole body'));
    this.onAbort?.();
  }

  /**
   * Collects the request body; uWS delivers it only to a handler attached before the route
   * handler returns, so this is called synchronously. Rejects with `BodyTooLargeError` past `limit`.
   */
  readBody(limit: number, declaredLength: number): Promise<Buffer> {
    this.watchAbort();
    return new Promise((resolve, reject) => {
      if (declaredLength > limit + DISCARD_ALLOWANCE) {
        reject(new BodyTooLargeError(limit, true));
        return;
      }
      this.#bodyAborted = reject;
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      this.#res.onData((chunk, isLast) => {
        if (settled) return;
        size += chunk.byteLength;
        if (size > limit + DISCARD_ALLOWANCE) {
          settled = true;
          reject(new BodyTooLargeError(limit, true));
        } else if (size > limit) {
          if (isLast) reject(new BodyTooLargeError(limit, false));
        } else {
          chunks.push(Buffer.from(chunk.slice(0)));
          if (isLast) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
        }
      });
    });
  }

  /** Sends a complete response. `body` undefined sends none (HEAD sends the length it would have had). */
  send(status: number, headers: Record<string, string>, body?: string | Uint8Array, headOnly = false, closeConnection = false): void {
    if (this.done) return;
    this.done = true;
    const res = this.#res;
    res.cork(() => {
      if (status !== 200) res.writeStatus(statusLine(status));
      for (const name in headers) res.writeHeader(name, headers[name]!);
      if (headOnly) res.endWithoutBody(body === undefined ? 0 : Buffer.byteLength(body), closeConnection);
      else res.end(body, closeConnection);
    });
  }

  /** True once a streamed response has sent its status: an error can no longer become a response. */
  started = false;

  /** Starts a streamed response; write chunks with `write`, finish with `end`. */
  begin(status: number, headers: Record<string, string>): void {
    if (this.done) return;
    this.started = true;
    const res = this.#res;
    res.cork(() => {
      res.writeStatus(statusLine(status));
      for (const name in headers) res.writeHeader(name, headers[name]!);
    });
  }

  /** Streamed output not yet handed to uWS: text (JSON) or encoded values (MessagePack). */
  #pending: (string | Buffer)[] = [];
  #pendingSize = 0;

  /** Buffers streamed output and flushes it in large chunks, waiting while the client is slow. */
  write(chunk: string | Buffer): Promise<void> | undefined {
    this.#pending.push(chunk);
    this.#pendingSize += chunk.length;
    return this.#pendingSize >= STREAM_CHUNK_BYTES ? this.flush() : undefined;
  }

  #takePending(): string | Buffer {
    const chunks = this.#pending;
    this.#pending = [];
    this.#pendingSize = 0;
    return chunks.every((chunk) => typeof chunk === 'string') ? chunks.join('') : Buffer.concat(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk)));
  }

  async flush(): Promise<void> {
    if (this.done || this.#pending.length === 0) return;
    const chunk = this.#takePending();
    let accepted = true;
    this.#res.cork(() => {
      accepted = this.#res.write(chunk);
    });
    if (accepted) {
      // A large synchronous result would otherwise hold the event loop for its whole length.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return;
    }
    await this.whenWritable();
  }

  /** Resolves when uWS can take more output (or the client went away). */
  whenWritable(): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#writable = resolve;
      this.#res.onWritable(() => {
        this.#writable = undefined;
        resolve();
        return true;
      });
    });
  }

  /**
   * Output handed to uWS since it last reported back-pressure, in bytes: an upper bound of what
   * it holds unsent for a slow client (0 once a write goes through whole).
   */
  unsentBytes = 0;

  /**
   * Writes a chunk at once, bypassing the chunking of `write` (an event stream flushes every event).
   * False while uWS holds output back: wait for `whenWritable` before writing more.
   */
  writeNow(chunk: string): boolean {
    if (this.done) return false;
    let accepted = true;
    this.#res.cork(() => {
      accepted = this.#res.write(chunk);
    });
    if (accepted) this.unsentBytes = 0;
    else this.unsentBytes += Buffer.byteLength(chunk);
    return accepted;
  }

  end(last: string | Buffer = ''): void {
    if (this.done) return;
    this.done = true;
    this.#pending.push(last);
    const rest = this.#takePending();
    const res = this.#res;
    res.cork(() => {
      res.end(rest);
    });
  }

  /** Drops the connection (used when a body is too large to read to its end). */
  close(): void {
    if (this.aborted) return;
    this.done = true;
    this.#res.close();
  }
}

export class BodyTooLargeError extends Error {
  constructor(
    readonly limit: number,
    /** True when the rest of the body was not read, so the connection cannot carry another request. */
    readonly unread: boolean,
  ) {
    super(`The request body is larger than ${limit} bytes`);
  }
}
