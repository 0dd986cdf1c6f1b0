import type { Timers } from '../../framework/src/replication/index.js';

/** One thing to happen at a virtual time; `seq` keeps events of the same time in the order they were scheduled. */
export interface SimEvent {
  time: number;
  seq: number;
  label: string;
  action: () => void | Promise<void>;
  cancelled: boolean;
}

const before = (a: SimEvent, b: SimEvent): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq);

/**
 * Virtual time: one queue of events ordered by (time, sequence). Nothing happens between events,
 * so a run is a sequence of steps, each one event and what it set off.
 */
export class Scheduler {
  now: number;
  readonly #heap: SimEvent[] = [];
  #seq = 0;

  constructor(start: number) {
    this.now = start;
  }

  get pending(): number {
    return this.#heap.length;
  }

  at(time: number, label: string, action: () => void | Promise<void>): SimEvent {
    const event: SimEvent = { time: Math.max(time, this.now), seq: this.#seq++, label, action, cancelled: false };
    this.#push(event);
    return event;
  }

  after(ms: number, label: string, action: () => void | Promise<void>): SimEvent {
    return this.at(this.now + Math.max(0, ms), label, action);
  }

  cancel(event: SimEvent | undefined): void {
    if (event !== undefined) event.cancelled = true;
  }

  /** The next live event, with the clock moved to its time; undefined when none is left. */
  next(): SimEvent | undefined {
    for (let event = this.#pop(); event !== undefined; event = this.#pop()) {
      if (event.cancelled) continue;
      this.now = event.time;
      return event;
    }
    return undefined;
  }

  #push(event: SimEvent): void {
    const heap = this.#heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #pop(): SimEvent | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
      if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
      if (smallest === i) return top;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}

/**
 * A node's clock and timers for one run of its process: the virtual time seen through the node's
 * own skew, and timeouts on the shared queue. A crash kills it, so the old process's timers never fire.
 */
export class NodeClock implements Timers {
  readonly #scheduler: Scheduler;
  readonly #offset: () => number;
  readonly #label: string;
  #dead = false;

  constructor(scheduler: Scheduler, label: string, offset: () => number) {
    this.#scheduler = scheduler;
    this.#label = label;
    this.#offset = offset;
  }

  now(): number {
    return this.#scheduler.now + this.#offset();
  }

  setTimeout(action: () => void, ms: number): unknown {
    if (this.#dead) return undefined;
    return this.#scheduler.after(ms, `${this.#label} timer`, () => {
      if (!this.#dead) action();
    });
  }

  clearTimeout(handle: unknown): void {
    this.#scheduler.cancel(handle as SimEvent | undefined);
  }

  kill(): void {
    this.#dead = true;
  }
}
