import WebSocket from 'ws';
import { CloseCode, type Connect, type LinkEvents, type PeerLink } from '../replication/index.js';
import type { Logger } from '../util/index.js';

/** Above this much unsent data `send` says wait; the link reports `drain` once a write completes below it. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** An outbound WebSocket to a peer (the `ws` client), as a `PeerLink`. */
class OutboundLink implements PeerLink {
  readonly remote: string;
  readonly #socket: WebSocket;
  readonly #events: LinkEvents;
  #opened = false;
  #closing = false;
  #waitingForDrain = false;

  constructor(url: string, events: LinkEvents, reachable: (ok: boolean, error?: Error) => void) {
    this.remote = url;
    this.#events = events;
    const socket = (this.#socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: MAX_PAYLOAD_BYTES, handshakeTimeout: HANDSHAKE_TIMEOUT_MS }));
    socket.binaryType = 'nodebuffer';
    socket.on('open', () => {
      this.#opened = true;
      reachable(true);
      events.open();
    });
    socket.on('message', (data: Buffer) => events.message(data));
    // Every failure ends in 'close' (1006 when the connection failed), which the session reports and the connector retries.
    socket.on('error', (error) => {
      if (!this.#opened && !this.#closing) reachable(false, error);
    });
    socket.on('close', (code, reason) => events.close(code, reason.toString()));
  }

  send(message: Uint8Array): boolean {
    if (this.#socket.readyState !== WebSocket.OPEN) return true;
    this.#socket.send(message, { binary: true }, this.#written);
    if (this.#socket.bufferedAmount < HIGH_WATER_BYTES) return true;
    this.#waitingForDrain = true;
    return false;
  }

  /** Each write's callback: once the buffer is below half the mark again, the session may send more. */
  readonly #written = (error?: Error | null): void => {
    if (error || !this.#waitingForDrain || this.#socket.bufferedAmount >= HIGH_WATER_BYTES / 2) return;
    this.#waitingForDrain = false;
    this.#events.drain();
  };

  close(code: number, reason: string): void {
    const socket = this.#socket;
    if (socket.readyState === WebSocket.CLOSING || socket.readyState === WebSocket.CLOSED) return;
    this.#closing = true;
    // A peer that stopped answering will not answer a close handshake either.
    if (socket.readyState === WebSocket.CONNECTING || code === CloseCode.dead || code === CloseCode.stalled) socket.terminate();
    else socket.close(code, reason.slice(0, 120));
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }
}

/**
 * The replicator's `connect`: a WebSocket per peer and database. A peer that cannot be reached is
 * logged once, not at every retry, and again once it has been reached in between.
 */
export function webSocketConnect(logger: Logger): Connect {
  const unreachable = new Set<string>();
  return (url, _database, events) =>
    new OutboundLink(url, events, (ok, error) => {
      if (ok) unreachable.delete(url);
      else if (!unreachable.has(url)) {
        unreachable.add(url);
        logger.warn(`Replication: cannot reach ${url} (${error?.message ?? 'connection failed'}); retrying`);
      }
    });
}
