import { LodeError } from '../errors/index.js';
import { LiveEvent } from './live-event.js';

/** Live events a subscriber may fall behind by before it is cut off (it can resume from its last event). */
export const DEFAULT_MAX_QUEUED_EVENTS = 10_000;

/**
 * A live stream of events for one subscriber: first its initial part (a snapshot of the current
 * state, or a replay of the change log), read lazily so a large one never sits in memory, then a
 * `ready` event carrying the sequence to resume from, then the live changes. Live changes that arrive meanwhile wait, and are delivered after it without
 * duplicates (by change-log sequence). A subscriber that falls more than `maxQueued` events behind
 * is ended with a `SLOW_CONSUMER` error: the transport closes the connection with a code that
 * tells the client to resume.
 */
export class Subscription implements AsyncIterableIterator<LiveEvent> {
  #initial: Iterator<LiveEvent> | undefined;
  #queue: LiveEvent[] = [];
  #head = 0;
  #lastSeq: number;
  #wake: (() => void) | undefined;
  #failure: LodeError | undefined;
  #onFailure: (() => void) | undefined;
  readonly #failed = new Promise<void>((resolve) => (this.#onFailure = resolve));
  #closed = false;
  #sink: ((event: LiveEvent) => boolean) | undefined;
  #detached: (() => void) | undefined;
  readonly #maxQueued: number;
  readonly #onClose: (subscription: Subscription) => void;
  /** Set by the hub: decides what a change means to this subscriber (filtered subscriptions). */
  accept: (event: LiveEvent) => LiveEvent | undefined = (event) => event;

  constructor(initial: Iterable<LiveEvent>, afterSeq: number, onClose: (subscription: Subscription) => void, maxQueued = DEFAULT_MAX_QUEUED_EVENTS) {
    this.#initial = initial[Symbol.iterator]();
    this.#lastSeq = afterSeq;
    this.#onClose = onClose;
    this.#maxQueued = maxQueued;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Resolves when the subscriber has fallen too far behind: a transport waiting for a stalled
   * client to drain races this, so the connection is closed now rather than when it reads again.
   */
  failed(): Promise<void> {
    return this.#failed;
  }

  /**
   * Hands live events straight to `sink`, synchronously and in commit order, instead of queueing
   * them for `next()`: a transport whose socket keeps up skips a promise chain per event (what
   * fan-out to thousands of subscribers costs). Only possible when nothing waits in the queue;
   * the returned promise resolves when the sink is detached again: it returned false (its
   * socket is backed up), or the subscription closed. Then the transport goes back to `next()`.
   */
  attach(sink: (event: LiveEvent) => boolean): Promise<void> | undefined {
    if (this.#closed || this.#failure || this.#initial || this.#sink || this.#head < this.#queue.length) return undefined;
    this.#sink = sink;
    return new Promise<void>((resolve) => (this.#detached = resolve));
  }

  #detach(): void {
    const detached = this.#detached;
    this.#sink = undefined;
    this.#detached = undefined;
    detached?.();
  }

  /** Called by the hub for every committed change of this subscriber's table (and id, for a record). */
  offer(event: LiveEvent): void {
    if (this.#closed || this.#failure) return;
    if (this.#sink) {
      if (event.seq <= this.#lastSeq) return;
      const accepted = this.accept(event);
      if (!accepted) return;
      this.#lastSeq = event.seq;
      let more: boolean;
      try {
        more = this.#sink(accepted);
      } catch (error) {
        // The hub goes on delivering to the others; this subscriber fails rather than miss an event.
        this.#failure = new LodeError('INTERNAL', `Sending a live event failed: ${(error as Error).message}`);
        more = false;
      }
      if (!more) this.#detach();
      return;
    }
    if (this.#queue.length - this.#head >= this.#maxQueued) {
      this.#failure = new LodeError('SLOW_CONSUMER', `The subscriber fell more than ${this.#maxQueued} events behind; reconnect with its last event id to resume`);
      this.#queue = [];
      this.#head = 0;
      this.#onFailure?.();
      this.#wake?.();
      return;
    }
    this.#queue.push(event);
    this.#wake?.();
  }

  async next(): Promise<IteratorResult<LiveEvent>> {
    for (;;) {
      if (this.#closed) return { done: true, value: undefined };
      if (this.#initial) {
        const step = this.#initial.next();
        if (!step.done) {
          if (step.value.resumable && step.value.type !== 'reset') this.#lastSeq = Math.max(this.#lastSeq, step.value.seq);
          return { done: false, value: step.value };
        }
        this.#initial = undefined;
        // Resuming from here continues after everything delivered so far, and nothing after it.
        return { done: false, value: new LiveEvent({ type: 'ready', seq: this.#lastSeq }) };
      }
      if (this.#failure) {
        const failure = this.#failure;
        this.#finish();
        throw failure;
      }
      while (this.#head < this.#queue.length) {
        const live = this.#queue[this.#head]!;
        this.#queue[this.#head++] = undefined as unknown as LiveEvent;
        if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
        // Replay and the live stream overlap: what the replay already delivered is dropped here.
        if (live.seq <= this.#lastSeq) continue;
        const accepted = this.accept(live);
        if (!accepted) continue;
        this.#lastSeq = live.seq;
        return { done: false, value: accepted };
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  async return(): Promise<IteratorResult<LiveEvent>> {
    this.#finish();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach();
    this.#initial?.return?.();
    this.#initial = undefined;
    this.#queue = [];
    this.#head = 0;
    this.#onClose(this);
    this.#wake?.();
  }
}
