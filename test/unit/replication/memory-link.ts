import type { LinkEvents, PeerLink } from '../../../framework/src/replication/index.js';

/** Two ends of an in-memory link; messages arrive on a later turn, in order. */
export function linkPair(remoteA: string, remoteB: string): { a: MemoryLink; b: MemoryLink } {
  const a = new MemoryLink(remoteB);
  const b = new MemoryLink(remoteA);
  a.other = b;
  b.other = a;
  return { a, b };
}

export class MemoryLink implements PeerLink {
  other: MemoryLink | undefined;
  events: LinkEvents | undefined;
  readonly remote: string;
  #paused = false;
  #inbox: Uint8Array[] = [];
  #closed = false;
  sent = 0;
  /** Drops what this end sends, the connection staying up: a peer that has stopped working. */
  muted = false;

  constructor(remote: string) {
    this.remote = remote;
  }

  send(message: Uint8Array): boolean {
    if (this.#closed || this.muted) return true;
    this.sent++;
    const other = this.other!;
    setImmediate(() => other.deliver(message));
    return true;
  }

  deliver(message: Uint8Array): void {
    if (this.#closed) return;
    if (this.#paused) this.#inbox.push(message);
    else this.events?.message(message);
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const other = this.other!;
    setImmediate(() => other.remoteClosed(code, reason));
  }

  remoteClosed(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.events?.close(code, reason);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    const waiting = this.#inbox;
    this.#inbox = [];
    for (const message of waiting) this.events?.message(message);
  }
}
