import { join } from 'node:path';
import { open, type Database, type DatabaseOptions, type RootDatabase } from 'lmdb';
import { HybridLogicalClock } from '../util/index.js';
import type { IndexDb } from './index-handle.js';
import type { ChangeEntry, Key } from './types.js';

/** A change-log row as stored in the `log` DBI (the key is the sequence number). */
export interface LogRecord {
  op: 'put' | 'delete' | 'message';
  table: string;
  id: Key;
  version: number;
  origin: number;
  /** Local commit time (ms), what replay by `startTime` and retention go by. */
  at: number;
  /** The record for `put`, the published message for `message`. */
  value?: unknown;
  /** A patch: what it set and added. Peers merge these, not the whole record, so late patches keep newer changes. */
  set?: Record<string, unknown>;
  add?: Record<string, number>;
  /** The patch may create the record (an `addTo`, an upsert). */
  upsert?: true;
  expiresAt?: number;
  /** On every entry of a commit that wrote more than one: the commit's first sequence (peers apply the commit whole). */
  txn?: number;
}

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
  readonly log: Database<LogRecord, number>;
  /** The same log as stored bytes: self-contained msgpack that peers decode without this node's structures. */
  readonly logBytes: Database<Buffer, number>;
  readonly clock: HybridLogicalClock;
  #lastSeq: number;
  #prunedThrough: number;
  #commitStart: number | undefined;

  constructor(dataDir: string, name: string, now: () => number, writeAsync: boolean) {
    this.name = name;
    this.root = open({ path: join(dataDir, name), maxDbs: 2000, noSync: writeAsync });
    this.meta = this.root.openDB<unknown, MetaKey>('meta', {});
    this.log = this.root.openDB<LogRecord, number>('log', { useBigIntExtension: true, useRecords: false } as DatabaseOptions);
    this.logBytes = this.root.openDB<Buffer, number>('log', { encoding: 'binary' });
    const highWater = this.meta.get(HLC_KEY);
    this.clock = new HybridLogicalClock(typeof highWater === 'number' ? highWater : 0, now);
    const pruned = this.meta.get(PRUNED_KEY);
    this.#prunedThrough = typeof pruned === 'number' ? pruned : 0;
    let lastSeq = this.#prunedThrough;
    for (const key of this.log.getKeys({ reverse: true, limit: 1 })) lastSeq = Math.max(lastSeq, key);
    this.#lastSeq = lastSeq;
  }

  openRecords(dbiName: string): Database<Record<string, unknown>, Key> {
    return this.root.openDB<Record<string, unknown>, Key>(dbiName, { ...recordOptions, useVersions: true });
  }

  openIndex(dbiName: string): IndexDb {
    return this.root.openDB(dbiName, { dupSort: true, encoding: 'ordered-binary' }) as unknown as IndexDb;
  }

  openPlain<V>(dbiName: string): Database<V, Key> {
    return this.root.openDB<V, Key>(dbiName, {});
  }

  transaction<T>(action: () => T): Promise<T> {
    return this.root.transaction(action);
  }

  /** Inside a write transaction: a version above the clock and `floor`, persisted as the new high-water mark. */
  nextVersion(floor: number): number {
    const version = this.clock.nextAbove(floor);
    this.meta.putSync(HLC_KEY, version);
    return version;
  }

  /** Inside a write transaction: appends to the change log; the change as subscribers hear it. */
  appendLog(record: LogRecord): ChangeEntry {
    const seq = ++this.#lastSeq;
    if (this.#commitStart !== undefined) record.txn = this.#commitStart;
    this.log.putSync(seq, record);
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

  /** Inside a write transaction: what this node's clock has seen from peers is kept across restarts. */
  observeVersion(version: number): void {
    if (version <= this.clock.last) return;
    this.clock.observe(version);
    this.meta.putSync(HLC_KEY, version);
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
      if (entry !== undefined && entry.at < time) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Drops log entries committed before `time`; returns how many. */
  async prune(time: number): Promise<number> {
    const doomed: number[] = [];
    for (const { key, value } of this.log.getRange({})) {
      if (value.at >= time) break;
      doomed.push(key);
    }
    if (doomed.length === 0) return 0;
    const through = doomed.at(-1)!;
    await this.transaction(() => {
      doomed.forEach((key) => this.log.removeSync(key));
      this.meta.putSync(PRUNED_KEY, through);
    });
    this.#prunedThrough = Math.max(this.#prunedThrough, through);
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
export function recordCount(db: Database<Record<string, unknown>, Key>): number {
  const stats = db.getStats() as { entryCount: number };
  return stats.entryCount - (db.doesExist(STRUCTURES as unknown as Key) ? 1 : 0);
}
