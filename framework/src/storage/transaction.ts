import { LodeError } from '../errors/index.js';
import { commitWrites } from './commit.js';
import type { Transaction as LmdbTransaction } from 'lmdb';
import type { DatabaseEnv } from './database-env.js';
import { SnapshotTable, type SnapshotSource } from './snapshot-table.js';
import type { Table } from './stored-table.js';
import { keyId, TransactionView, type PendingRow, type PendingSource } from './transaction-view.js';
import type { ChangeEntry, Key, ReadableTable, RecordEntry, StoredTable, WriteOptions } from './types.js';
import { withIncrements, type PlannedWrite, type Value, type WriteOp } from './write-op.js';

/** A record's pending write: what the transaction will ask the commit to do with it. */
interface Pending {
  op: WriteOp & { kind: 'put' | 'patch' | 'create' | 'delete' };
  /** Only increments: they commute, so another writer's change to the record is no conflict. */
  commutes: boolean;
}

/**
 * One unit of work over the storage: reads see the stored data with this transaction's own writes
 * laid over them (also in queries), and the writes are committed together, one LMDB transaction per
 * database, when `commit` is called. Nothing is written before then; `abort` drops everything.
 *
 * Concurrency is optimistic. A record the transaction read and then writes must still be at the
 * version it read when the commit runs, or the commit fails with `WRITE_CONFLICT` (retryable, and
 * retried by whoever runs the transaction). Blind writes are last-writer-wins; patches merge onto
 * the record as the commit finds it; increments always commute.
 */
export class Transaction implements PendingSource, SnapshotSource {
  // Allocated on first use: most transactions (a GET's) only ever read one record.
  #pendingMap: Map<Table, Map<string, Pending>> | undefined;
  #messageList: Array<{ table: Table; op: WriteOp }> | undefined;
  /**
   * The version of each record when this transaction first read it. The first record read is kept
   * in fields of its own: most transactions (a GET's) read one record, and a map with a string key
   * per read was a tenth of such a request.
   */
  #firstReadTable: Table | undefined;
  #firstReadId: Key | undefined;
  #firstReadVersion = 0;
  /** The other records read, by `table name:keyId`. */
  #read: Map<string, number> | undefined;
  /** `pendingRows` per table, until the next write changes them. */
  #rowsMap: Map<Table, ReadonlyMap<string, PendingRow>> | undefined;
  /** One LMDB read transaction per database, taken at the first read. */
  #snapshotMap: Map<DatabaseEnv, LmdbTransaction> | undefined;
  /** The first database's snapshot, also kept apart: most transactions touch one database, and this is every read's path. */
  #firstEnv: DatabaseEnv | undefined;
  #firstSnapshot: LmdbTransaction | undefined;
  #state: 'open' | 'committing' | 'done' = 'open';
  /**
   * Whether reads take a pinned LMDB snapshot yet. Pinning costs a read-transaction renewal, and a
   * transaction whose reads all run in one turn of the event loop does not need it: LMDB's shared
   * read transaction holds still until the turn ends. So a lazy transaction (a request's) pins only
   * when `pin()` is called, as its handler first awaits.
   */
  #pinned: boolean;

  constructor(options: { lazySnapshot?: boolean } = {}) {
    this.#pinned = options.lazySnapshot !== true;
  }

  /** From now on, every read of this transaction sees the data as it is now (see `#pinned`). */
  pin(): void {
    this.#pinned = true;
  }

  get hasWrites(): boolean {
    return this.#pendingMap !== undefined || this.#messageList !== undefined;
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** A record as this transaction sees it; the first read remembers its version for the conflict check. */
  get(table: StoredTable, id: Key): RecordEntry | undefined {
    const stored = asTable(table);
    const entry = this.hasWrites ? this.view(stored).get(id) : stored.get(id, this.snapshot(stored));
    if (this.#firstReadTable === undefined) {
      this.#firstReadTable = stored;
      this.#firstReadId = id;
      this.#firstReadVersion = this.#versionRead(stored, id, entry);
    } else if (this.#firstReadTable !== stored || this.#firstReadId !== id) {
      const readKey = `${stored.name}:${keyId(id)}`;
      const reads = (this.#read ??= new Map());
      if (!reads.has(readKey)) reads.set(readKey, this.#versionRead(stored, id, entry));
    }
    return entry;
  }

  /** What a read saw, for the conflict check: a record this transaction has written counts at its stored version. */
  #versionRead(table: Table, id: Key, entry: RecordEntry | undefined): number {
    return this.#pendingMap?.get(table)?.has(keyId(id)) ? table.versionOf(id) : (entry?.version ?? 0);
  }

  /** The version a record had when this transaction first read it; undefined if it was not read. */
  #readVersion(table: Table, key: string): number | undefined {
    if (this.#firstReadTable === table && keyId(this.#firstReadId!) === key) return this.#firstReadVersion;
    return this.#read?.get(`${table.name}:${key}`);
  }

  put(table: StoredTable, id: Key, record: unknown, options?: WriteOptions): Value {
    this.#assertOpen();
    const stored = asTable(table);
    const op = stored.preparePut(id, record, options);
    this.#set(stored, op.id, { op: op as Pending['op'], commutes: false });
    return (op as { value: Value }).value;
  }

  /** False when the record does not exist (as this transaction sees it). */
  patch(table: StoredTable, id: Key, partial: unknown, options?: WriteOptions): boolean {
    this.#assertOpen();
    const stored = asTable(table);
    const op = stored.preparePatch(id, partial, undefined, false, options) as WriteOp & { kind: 'patch' };
    const expiry = op.expiresAt === undefined ? {} : { expiresAt: op.expiresAt };
    const pending = this.#get(stored, op.id);
    if (pending?.op.kind === 'put' || pending?.op.kind === 'create') {
      pending.op = { ...pending.op, value: { ...pending.op.value, ...op.changes }, ...expiry };
      return true;
    }
    if (pending?.op.kind === 'patch') {
      pending.op = { ...pending.op, changes: { ...pending.op.changes, ...op.changes }, ...expiry };
      pending.commutes = false;
      return true;
    }
    if (this.view(stored).get(op.id) === undefined) return false;
    this.#set(stored, op.id, { op, commutes: false });
    return true;
  }

  /** Adds `delta` to a numeric attribute at commit, onto whatever value it has then (a missing record is created). */
  increment(table: StoredTable, id: Key, attribute: string, delta: number): void {
    this.#assertOpen();
    if (!Number.isFinite(delta)) throw new LodeError('BAD_REQUEST', `addTo/subtractFrom of ${attribute} needs a finite number`);
    const stored = asTable(table);
    const pending = this.#get(stored, id);
    const increments = new Map([[attribute, delta]]);
    if (pending === undefined || pending.op.kind === 'delete') {
      const op = stored.preparePatch(id, {}, increments, true);
      this.#set(stored, op.id, { op: op as Pending['op'], commutes: pending === undefined });
    } else if (pending.op.kind === 'patch') {
      const merged = new Map(pending.op.increments);
      merged.set(attribute, (merged.get(attribute) ?? 0) + delta);
      pending.op = { ...pending.op, increments: merged };
    } else {
      pending.op = { ...pending.op, value: withIncrements(pending.op.value, increments) };
    }
  }

  create(table: StoredTable, record: unknown): Value {
    this.#assertOpen();
    const stored = asTable(table);
    const op = stored.prepareCreate(record);
    if (this.view(stored).get(op.id) !== undefined) {
      throw new LodeError('CONFLICT', `A ${stored.name} record with id ${JSON.stringify(op.id)} already exists`);
    }
    this.#set(stored, op.id, { op, commutes: false });
    return op.value;
  }

  /** False when there was no record to delete (as this transaction sees it). */
  delete(table: StoredTable, id: Key): boolean {
    this.#assertOpen();
    const stored = asTable(table);
    const existed = this.view(stored).get(id) !== undefined;
    this.#set(stored, id, { op: { kind: 'delete', id }, commutes: false });
    return existed;
  }

  publish(table: StoredTable, id: Key, message: unknown): void {
    this.#assertOpen();
    (this.#messageList ??= []).push({ table: asTable(table), op: { kind: 'message', id, message } });
  }

  /** The table as this transaction reads it: at its snapshot, with its pending writes laid over. */
  view(table: ReadableTable): ReadableTable {
    const atSnapshot = new SnapshotTable(asTable(table), this);
    return this.hasWrites ? new TransactionView(atSnapshot, this) : atSnapshot;
  }

  snapshot(table: Table): LmdbTransaction | undefined {
    if (this.#state !== 'open' || !this.#pinned) return undefined;
    const env = table.stores.env;
    if (env === this.#firstEnv) return this.#firstSnapshot;
    let snapshot = this.#snapshotMap?.get(env);
    if (snapshot === undefined) {
      snapshot = env.root.useReadTransaction();
      (this.#snapshotMap ??= new Map()).set(env, snapshot);
      if (this.#firstEnv === undefined) {
        this.#firstEnv = env;
        this.#firstSnapshot = snapshot;
      }
    }
    return snapshot;
  }

  pendingRows(table: ReadableTable): ReadonlyMap<string, PendingRow> {
    const stored = asTable(table);
    const cached = this.#rowsMap?.get(stored);
    if (cached) return cached;
    const rows = new Map<string, PendingRow>();
    for (const [key, { op }] of this.#pendingMap?.get(stored) ?? []) {
      const entry = stored.get(op.id, this.snapshot(stored));
      rows.set(key, { id: op.id, stored: entry, value: valueAfter(op, entry?.value) });
    }
    (this.#rowsMap ??= new Map()).set(stored, rows);
    return rows;
  }

  /** Writes everything, one LMDB transaction per database; the changes, in commit order. */
  async commit(): Promise<ChangeEntry[]> {
    this.#assertOpen();
    this.#state = 'committing';
    this.#releaseSnapshots();
    try {
      const byDatabase = new Map<DatabaseEnv, PlannedWrite[]>();
      for (const [table, pending] of this.#pendingMap ?? []) {
        const writes = mapOf(byDatabase, table.stores.env, () => []);
        for (const [key, { op, commutes }] of pending) {
          const read = commutes || op.kind === 'create' ? undefined : this.#readVersion(table, key);
          writes.push(read === undefined ? { table, op } : { table, op, expectedVersion: read });
        }
      }
      for (const { table, op } of this.#messageList ?? []) mapOf(byDatabase, table.stores.env, () => []).push({ table, op });
      const changes: ChangeEntry[] = [];
      for (const [env, writes] of byDatabase) {
        const first = writes[0]!.table as Table;
        changes.push(...(await commitWrites(env, writes, first)));
      }
      return changes;
    } finally {
      this.#state = 'done';
    }
  }

  abort(): void {
    this.#state = 'done';
    this.#releaseSnapshots();
  }

  #releaseSnapshots(): void {
    if (this.#snapshotMap === undefined) return;
    for (const snapshot of this.#snapshotMap.values()) snapshot.done();
    this.#snapshotMap = undefined;
    this.#firstEnv = undefined;
    this.#firstSnapshot = undefined;
  }

  /** A pending write to change in place; the rows cache of its table is dropped. */
  #get(table: Table, id: Key): Pending | undefined {
    this.#rowsMap?.delete(table);
    return this.#pendingMap?.get(table)?.get(keyId(id));
  }

  #set(table: Table, id: Key, pending: Pending): void {
    this.#rowsMap?.delete(table);
    mapOf((this.#pendingMap ??= new Map()), table, () => new Map()).set(keyId(id), pending);
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw new LodeError('INTERNAL', 'This transaction has already been committed or aborted');
  }
}

/** The stored table behind a table or a view of it. */
function asTable(table: ReadableTable): Table {
  return table instanceof SnapshotTable ? table.stored : (table as Table);
}

function mapOf<K, V>(maps: Map<K, V>, key: K, create: () => V = () => new Map() as V): V {
  let value = maps.get(key);
  if (value === undefined) maps.set(key, (value = create()));
  return value;
}

/** The record a pending write leaves behind, given the one stored now. */
function valueAfter(op: Pending['op'], stored: Value | undefined): Value | undefined {
  switch (op.kind) {
    case 'put':
    case 'create':
      return op.value;
    case 'patch':
      return stored === undefined && !op.upsert ? undefined : withIncrements({ ...stored, ...op.changes }, op.increments);
    case 'delete':
      return undefined;
  }
}
