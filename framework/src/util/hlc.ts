/**
 * Hybrid logical clock. A version is `wallMillis * 1024 + logical`, held in a double (exact
 * below 2^53, i.e. until the year 2248), so it fits lmdb-js entry versions and sorts numerically.
 * Versions from one clock are strictly increasing even when the wall clock steps backwards or
 * more than 1024 versions are needed in one millisecond: logical time then runs ahead of the
 * wall clock until the wall clock catches up.
 */
export const LOGICAL_BITS_FACTOR = 1024;

export type WallClock = () => number;

export class HybridLogicalClock {
  #last: number;
  readonly #now: WallClock;

  /** `highWaterMark` is the largest version this node ever issued (persisted by storage). */
  constructor(highWaterMark = 0, now: WallClock = Date.now) {
    this.#last = highWaterMark;
    this.#now = now;
  }

  /** A version above every version this clock has issued or observed. */
  next(): number {
    const physical = Math.floor(this.#now()) * LOGICAL_BITS_FACTOR;
    this.#last = physical > this.#last ? physical : this.#last + 1;
    return this.#last;
  }

  /** Records a version seen elsewhere (a replicated write, a record's current version). */
  observe(version: number): void {
    if (version > this.#last) this.#last = version;
  }

  /** A version above both this clock and `floor`: used so a write always beats the record it replaces. */
  nextAbove(floor: number): number {
    this.observe(floor);
    return this.next();
  }

  get last(): number {
    return this.#last;
  }
}

/** Milliseconds since the epoch at which a version was issued. */
export function versionTime(version: number): number {
  return Math.floor(version / LOGICAL_BITS_FACTOR);
}

/** Total order of concurrent writes: version first, then origin node id. */
export function compareVersions(a: number, aNode: number, b: number, bNode: number): number {
  return a === b ? aNode - bNode : a - b;
}
