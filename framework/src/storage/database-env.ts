import { join } from 'node:path';
import { open, type Database, type DatabaseOptions, type RootDatabase } from 'lmdb';
import { HybridLogicalClock } from '../util/index.js';
import type { IndexDb } from './index-handle.js';
import { encodeLogEntry, logEntryTime, type LogRecord } from './log-entry.js';
import type { RecordsDb, StoredRecord } from './stored-record.js';
import type { ChangeEntry, Key } from './types.js';

export type MetaKey = string | (string | number)[];

const HLC_KEY = 'hlc';
/** The newest sequence retention has removed: sequences are never reused, even when the whole log was pruned. */
const PRUNED_KEY = 'log-pruned-through';
const STRUCTURES = Symbol.for('structures');

/** Record DBIs: msgpack with shared structures; bigints beyond 64 bits survive through the extension. */
const recordOptions = {
  sharedStructuresKey: STRUCTURES,
  useBigIntExtension: true,
} as DatabaseOptions;

/**
 * One LMDB environment (one per database): its `meta` and `log` DBIs, its clock and its commit
 * sequence. All writes to the database go through `transaction`, so they batch into one LMDB commit
 * per event-loop turn.
 */
export class DatabaseEnv {
  readonly name: string;
  readonly root: RootDatabase;
  readonly meta: Database<unknown, MetaKey>;
  /** The change log: sequence → entry as `log-entry.ts` stores it. */
  readonly log: Database<Buffer, number>;
  readonly clock: HybridLogicalClock;
  #lastSeq: number;
  #prunedThrough: number;
  #commitStart: number | undefined;
  #persistedClock: number;
  #firstSeq: number | undefined;

  constructor(dataDir: string, name: string, now: () => number, writeAsync: boolean) {
    this.name = name;
    this.root = open({ path: join(dataDir, name), maxDbs: 2000, noSync: writeAsync });
    this.meta = this.root.openDB<unknown, MetaKey>('meta', {});
    this.log = this.root.openDB<Buffer, number>('log', { encoding: 'binary' });
    const highWater = this.meta.get(HLC_KEY);
    this.#persistedClock = typeof highWater === 'number' ? highWater : 0;
    this.clock = new HybridLogicalClock(this.#persistedClock, now);
    const pruned = this.meta.get(PRUNED_KEY);
    this.#prunedThrough = typeof pruned === 'number' ? pruned : 0;
    let lastSeq = this.#prunedThrough;
    for (const key of this.log.getKeys({ reverse: true, limit: 1 })) lastSeq = Math.max(lastSeq, key);
    this.#lastSeq = lastSeq;
  }

  openRecords(dbiName: string): RecordsDb {
    return this.root.openDB<StoredRecord, Key>(dbiName, { ...recordOptions, useVersions: true });
  }

  openIndex(dbiName: string): IndexDb {
    return this.root.openDB(dbiName, { dupSort: true, encoding: 'ordered-binary' }) as unknown as IndexDb;
  }

  openPlain<V>(dbiName: string): Database<V, Key> {
    return this.root.openDB<V, Key>(dbiName, {});
  }

  /** Runs `action` in a write transaction; what the clock gave out or saw in it is persisted with it. */
  transaction<T>(action: () => T): Promise<T> {
    return this.root.transaction(() => {
      const result = action();
      if (this.clock.last > this.#persistedClock) {
        this.meta.putSync(HLC_KEY, this.clock.last);
        this.#persistedClock = this.clock.last;
      }
      return result;
    });
  }

  /** Inside a write transaction: a version above the clock and `floor`. */
  nextVersion(floor: number): number {
    return this.clock.nextAbove(floor);
  }

  /**
   * Inside a write transaction: appends to the change log; the change as subscribers hear it.
   * `body`: a peer's logged body for this same write, stored as it is.
   */
  appendLog(record: LogRecord, body?: Uint8Array): ChangeEntry {
    const seq = ++this.#lastSeq;
    if (this.#commitStart !== undefined) record.txn = this.#commitStart;
    this.log.putSync(seq, encodeLogEntry(record, body));
    return changeEntryOf(this.name, seq, record);
  }

  /** Inside a write transaction: marks the log entries `action` appends as one commit when there is more than one. */
  asOneCommit<T>(writes: number, action: () => T): T {
    if (writes < 2) return action();
    this.#commitStart = this.#lastSeq + 1;
    try {
      return action();
    } finally {
      this.#commitStart = undefined;
    }
  }

  /** Inside a write transaction: what this node's clock has seen from peers (kept across restarts with the transaction). */
  observeVersion(version: number): void {
    if (version > this.clock.last) this.clock.observe(version);
  }

  /** Sequence of the newest log entry (0 for an empty log). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * Sequence of the oldest entry retention has kept; with an empty log, the one after what
   * retention removed (not after `lastSeq`, which counts commits still being written).
   */
  get firstSeq(): number {
    // Entries are only ever removed from the front, by `prune`, so the first one is where it left off.
    return this.#firstSeq ??= this.#readFirstSeq();
  }

  #readFirstSeq(): number {
    for (const key of this.log.getKeys({ limit: 1 })) return key;
    return this.#prunedThrough + 1;
  }

  /** The first sequence committed at or after `time`; entries are contiguous, so this is a binary search. */
  seqAtTime(time: number): number {
    let low = this.firstSeq;
    let high = this.#lastSeq + 1;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const entry = this.log.get(middle);
      if (entry !== undefined && logEntryTime(entry) < time) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Drops log entries committed before `time`; returns how many. */
  async prune(time: number): Promise<number> {
    const doomed: number[] = [];
    for (const { key, value } of this.log.getRange({})) {
      if (logEntryTime(value) >= time) break;
      doomed.push(key);
    }
    if (doomed.length === 0) return 0;
    const through = doomed.at(-1)!;
    await this.transaction(() => {
      doomed.forEach((key) => this.log.removeSync(key));
      this.meta.putSync(PRUNED_KEY, through);
    });
    this.#prunedThrough = Math.max(this.#prunedThrough, through);
    this.#firstSeq = undefined;
    return doomed.length;
  }

  /** Forces what earlier commits wrote onto the disk (the periodic flush of a `writeAsync` storage). */
  sync(): Promise<void> {
    // lmdb-js has `sync` on the root but not in its typings.
    const root = this.root as RootDatabase & { sync(callback: (error?: Error) => void): void };
    return new Promise((resolve, reject) => root.sync((error) => (error ? reject(error) : resolve())));
  }

  close(): Promise<void> {
    return this.root.close();
  }
}

/** A change-log row as subscribers see it. */
export function changeEntryOf(database: string, seq: number, record: LogRecord): ChangeEntry {
  const entry: ChangeEntry = { seq, database, table: record.table, op: record.op, id: record.id, version: record.version, origin: record.origin };
  if (record.value !== undefined) entry.value = record.value;
  return entry;
}

/** Entries of a record DBI, without the msgpack shared-structures row lmdb-js keeps in it. */
export function recordCount(db: RecordsDb): number {
  const stats = db.getStats() as { entryCount: number };
  return stats.entryCount - (db.doesExist(STRUCTURES as unknown as Key) ? 1 : 0);
}
