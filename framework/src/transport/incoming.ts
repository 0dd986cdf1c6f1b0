/**
 * The decoded frames a WebSocket client sent, as the async iterable `connect` reads (`incoming`).
 * One reader; it ends when the socket closes. Frames the resource has not read yet are counted
 * in bytes so a client cannot make the server hold an unbounded backlog.
 */
export class IncomingMessages implements AsyncIterableIterator<unknown> {
  #queue: { value: unknown; size: number }[] = [];
  #head = 0;
  #queuedBytes = 0;
  #ended = false;
  #waiting: ((result: IteratorResult<unknown>) => void) | undefined;

  /** Bytes of frames received and not yet read. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Hands a frame to the reader (or queues it); `size` is its encoded length. */
  push(value: unknown, size: number): void {
    if (this.#ended) return;
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting({ done: false, value });
      return;
    }
    this.#queue.push({ value, size });
    this.#queuedBytes += size;
  }

  /** The socket closed: the reader gets what is queued, then the end. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as { value: unknown; size: number };
      this.#queuedBytes -= entry.size;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      return Promise.resolve({ done: false, value: entry.value });
    }
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => (this.#waiting = resolve));
  }

  /** The reader stopped early (`break` in `for await`): later frames are dropped. */
  return(): Promise<IteratorResult<unknown>> {
    this.#queue = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    this.end();
    return Promise.resolve({ done: true, value: undefined });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
