import { randomUUID } from 'node:crypto';
import type { Database, RangeOptions, Transaction as LmdbTransaction } from 'lmdb';
import { LodeError } from '../errors/index.js';
import type { AttributeDef, TableDef } from '../schema/index.js';
import { recordCount } from './database-env.js';
import type { IndexHandle } from './index-handle.js';
import { coerceKeyFor, isKeyOf, keyKind, ownValue, timestampValue, type KeyKind } from './keys.js';
import { incrementsOf, nextLocalStamp, recordStateOf, setExpiry, storeMerged, updateIndexes, type TableStores, type WriteContext } from './record-writer.js';
import { readRecord, valueOf } from './stored-record.js';
import { mergeWrite, type VersionedWrite } from './version-state.js';
import { ReadyIndex } from './table-index.js';
import type { ChangeEntry, IndexRange, IndexStatus, Key, RecordEntry, ScanOptions, StoredTable, TableIndex, WriteOptions } from './types.js';
import { validateRecord } from './validate.js';
import { commitWrites } from './commit.js';
import { withIncrements, writeConflict, type ResolvedWrite, type Value, type WriteOp, type WriteTarget } from './write-op.js';

const MAX_CREATE_ATTEMPTS = 3;

export interface TableHost {
  readonly nodeId: number;
  now(): number;
  emit(entries: ChangeEntry[]): void;
  table(name: string): StoredTable | undefined;
}

/** A table's records, secondary indexes and writes (each write is one LMDB transaction with its log entry). */
export class Table implements StoredTable, WriteTarget {
  #def: TableDef;
  #stores: TableStores;
  readonly #host: TableHost;
  #indexes = new Map<string, IndexHandle>();
  #maintained: IndexHandle[] = [];
  /** Readers are kept per index handle; a new schema generation (new attribute definitions) starts afresh. */
  #readers = new WeakMap<IndexHandle, ReadyIndex>();
  #keyKind: KeyKind = 'any';
  #createdTime: AttributeDef[] = [];
  #updatedTime: AttributeDef[] = [];
  #lastReserved = 0;

  constructor(def: TableDef, stores: TableStores, host: TableHost) {
    this.#def = def;
    this.#stores = stores;
    this.#host = host;
    this.bind(def, stores);
  }

  get name(): string {
    return this.#def.name;
  }

  get def(): TableDef {
    return this.#def;
  }

  /** Internal: a new schema generation replaces the definition (identity is kept). */
  bind(def: TableDef, stores: TableStores): void {
    this.#readers = new WeakMap();
    this.#def = def;
    this.#stores = stores;
    const pk = def.attributes.find((attribute) => attribute.name === def.primaryKey);
    this.#keyKind = keyKind(pk?.type);
    this.#createdTime = def.attributes.filter((attribute) => attribute.createdTime);
    this.#updatedTime = def.attributes.filter((attribute) => attribute.updatedTime);
  }

  /** Internal: the indexes writes maintain and lookups may use. */
  setIndexes(handles: IndexHandle[]): void {
    this.#indexes = new Map(handles.map((handle) => [handle.attribute, handle]));
    this.#maintained = handles;
  }

  get indexHandles(): readonly IndexHandle[] {
    return this.#maintained;
  }

  get stores(): TableStores {
    return this.#stores;
  }

  coerceKey(raw: string): Key {
    return coerceKeyFor(this.#keyKind, raw);
  }

  /** `snapshot`: read as of that LMDB read transaction (a storage transaction's snapshot). */
  get(id: Key, snapshot?: LmdbTransaction): RecordEntry | undefined {
    const entry = this.#stores.records.getEntry(id, snapshot && { transaction: snapshot });
    return entry === undefined ? undefined : { id, value: valueOf(entry.value), version: entry.version ?? 0 };
  }

  async put(id: Key, record: unknown, options?: WriteOptions): Promise<RecordEntry> {
    const [change] = await this.#commitOne(this.preparePut(id, record, options));
    return this.#entryOf(change!);
  }

  async patch(id: Key, partial: unknown, options?: WriteOptions): Promise<RecordEntry | undefined> {
    const [change] = await this.#commitOne(this.preparePatch(id, partial, undefined, false, options));
    return change && this.#entryOf(change);
  }

  async create(record: unknown): Promise<RecordEntry> {
    for (let attempt = 1; ; attempt++) {
      try {
        const [change] = await this.#commitOne(this.prepareCreate(record));
        return this.#entryOf(change!);
      } catch (error) {
        // Only an allocated id can be raced for (a PUT took it first); allocating again resolves it.
        if (!(error instanceof LodeError && error.code === 'WRITE_CONFLICT') || attempt === MAX_CREATE_ATTEMPTS) throw error;
      }
    }
  }

  async delete(id: Key): Promise<boolean> {
    const changes = await this.#commitOne({ kind: 'delete', id: this.#checkKey(id) });
    return changes.length > 0;
  }

  async publish(id: Key, message: unknown): Promise<ChangeEntry> {
    const [change] = await this.#commitOne({ kind: 'message', id: this.#checkKey(id), message });
    return change!;
  }

  /** A full record to write at `id`, validated now (before any transaction). */
  preparePut(id: Key, record: unknown, options?: WriteOptions): WriteOp {
    const key = this.#checkKey(id);
    return { kind: 'put', id: key, value: this.#withKey(validateRecord(this.#def, record, 'full'), key), expiresAt: options?.expiresAt };
  }

  /** Changes to merge onto the record at commit, validated now; the merged record is validated at commit. */
  preparePatch(id: Key, partial: unknown, increments?: ReadonlyMap<string, number>, upsert = false, options?: WriteOptions): WriteOp {
    const key = this.#checkKey(id);
    const changes = this.#withKey(validateRecord(this.#def, partial, 'partial'), key);
    return { kind: 'patch', id: key, changes, increments, upsert, expiresAt: options?.expiresAt };
  }

  /** A new record with its id: the given one, a UUID, or the next free integer (reserved in this process). */
  prepareCreate(record: unknown): WriteOp & { kind: 'create' } {
    const value = validateRecord(this.#def, record, 'full');
    const pk = this.#def.primaryKey;
    if (value[pk] !== undefined) {
      const id = this.#checkKey(value[pk]);
      return { kind: 'create', id, value, generated: false };
    }
    const id = this.#keyKind === 'string' || this.#keyKind === 'any' ? randomUUID() : this.#reserveNumericKey();
    return { kind: 'create', id, value: { [pk]: id, ...value }, generated: true };
  }

  /** The version a conflict check compares: the record's, or 0 while there is none. */
  versionOf(id: Key): number {
    return this.#stores.records.getEntry(id)?.version ?? 0;
  }

  /** Inside the commit: checks `op` against the current record and computes what to store. */
  resolve(op: WriteOp, expectedVersion: number | undefined): ResolvedWrite | undefined {
    const { records } = this.#stores;
    if (op.kind === 'message') return { kind: 'message', key: op.id, message: op.message };
    if (expectedVersion !== undefined && this.versionOf(op.id) !== expectedVersion) throw writeConflict(this.name, op.id);
    const old = readRecord(records, op.id, this.#host.nodeId);
    switch (op.kind) {
      case 'put':
        return { kind: 'write', key: op.id, value: { ...op.value }, old, expiresAt: op.expiresAt };
      case 'create':
        if (old !== undefined) {
          if (op.generated) throw writeConflict(this.name, op.id);
          throw new LodeError('CONFLICT', `A ${this.name} record with id ${JSON.stringify(op.id)} already exists`);
        }
        return { kind: 'write', key: op.id, value: { ...op.value }, old, expiresAt: op.expiresAt };
      case 'patch': {
        if (old === undefined && !op.upsert) return undefined;
        const merged = withIncrements({ ...old?.value, ...op.changes }, op.increments);
        validateRecord(this.#def, merged, 'full');
        const add = op.increments === undefined || op.increments.size === 0 ? undefined : Object.fromEntries(op.increments);
        return { kind: 'write', key: op.id, value: merged, old, expiresAt: op.expiresAt, patch: { set: op.changes, add, upsert: op.upsert } };
      }
      case 'delete':
        return old === undefined ? undefined : { kind: 'delete', key: op.id, old };
    }
  }

  /** Inside the commit, after every write of it resolved: stores one, with its index and log entries. */
  apply(write: ResolvedWrite): ChangeEntry {
    const { env } = this.#stores;
    const origin = this.#host.nodeId;
    if (write.kind === 'message') {
      const version = env.nextVersion(0);
      return env.appendLog({ op: 'message', table: this.name, id: write.key, version, origin, at: this.#host.now(), value: write.message });
    }
    const context = this.#writeContext();
    const state = recordStateOf(this.#stores, write.key, write.old, origin);
    const stamp = nextLocalStamp(env, state, origin);
    let versioned: VersionedWrite;
    if (write.kind === 'delete') versioned = { op: 'delete', stamp };
    else if (write.patch === undefined) versioned = { op: 'put', stamp, value: this.#stampTimes(write.value, write.old?.value, context.now, false) };
    else versioned = { op: 'patch', stamp, ...write.patch, set: this.#stampTimes({ ...write.patch.set }, write.old?.value, context.now, true) };
    // A local write is newer than everything the record holds, so it always merges.
    const merged = mergeWrite(state, versioned, incrementsOf(this.#stores, write.key, true), this.#def.primaryKey, write.key)!;
    return storeMerged(context, write.key, state, merged, versioned, write.kind === 'write' ? write.expiresAt : undefined);
  }

  /**
   * Inside a write transaction: merges a write made on another node, keeping its version and
   * origin. Undefined when it changes nothing (a newer write replaced it, or it was merged before).
   */
  applyReplicated(write: VersionedWrite, id: Key, expiresAt: number | undefined, loggedBody?: Uint8Array): ChangeEntry | undefined {
    const old = readRecord(this.#stores.records, id, this.#host.nodeId);
    const state = recordStateOf(this.#stores, id, old, this.#host.nodeId);
    this.#stores.env.observeVersion(write.stamp[0]);
    const merged = mergeWrite(state, write, incrementsOf(this.#stores, id), this.#def.primaryKey, id);
    return merged && storeMerged(this.#writeContext(), id, state, merged, write, expiresAt, loggedBody);
  }

  #writeContext(): WriteContext {
    return { def: this.#def, stores: this.#stores, indexes: this.#maintained, nodeId: this.#host.nodeId, now: this.#host.now() };
  }

  /** Subscribers hear about committed changes from here (once per commit, in commit order). */
  emitChanges(changes: ChangeEntry[]): void {
    if (changes.length > 0) this.#host.emit(changes);
  }

  #commitOne(op: WriteOp): Promise<ChangeEntry[]> {
    return commitWrites(this.#stores.env, [{ table: this, op }], this);
  }

  #entryOf(change: ChangeEntry): RecordEntry {
    return { id: change.id, value: change.value as Value, version: change.version };
  }

  scan(options: ScanOptions = {}, snapshot?: LmdbTransaction): Iterable<RecordEntry> {
    const { start, end, limit, reverse } = options;
    const range: RangeOptions = { versions: true, ...(snapshot && { transaction: snapshot }) };
    if (reverse) {
      range.reverse = true;
      if (end !== undefined) Object.assign(range, { start: end, exclusiveStart: true });
      if (start !== undefined) Object.assign(range, { end: start, inclusiveEnd: true });
    } else {
      if (start !== undefined) range.start = start;
      if (end !== undefined) range.end = end;
    }
    if (limit !== undefined) range.limit = limit;
    return this.#stores.records
      .getRange(range)
      .map(({ key, value, version }): RecordEntry => ({ id: key, value: valueOf(value), version: version ?? 0 }));
  }

  #usableIndex(attribute: string): IndexHandle {
    const index = this.#indexes.get(attribute);
    if (!index) throw new LodeError('BAD_REQUEST', `${this.name}.${attribute} is not indexed`);
    if (index.status === 'building') {
      throw new LodeError('INDEX_BUILDING', `The index on ${this.name}.${attribute} is still being built`, {
        headers: { 'Retry-After': '1' },
      });
    }
    return index;
  }

  relatedTable(name: string): StoredTable | undefined {
    return this.#host.table(name);
  }

  /** `snapshot`: reads as of the read transaction it gives (while it gives one). */
  index(attribute: string, snapshot?: () => LmdbTransaction | undefined): TableIndex {
    const handle = this.#usableIndex(attribute);
    if (snapshot) return new ReadyIndex(handle, this.#def.attributes.find((a) => a.name === attribute), this.#stores.records, snapshot);
    let reader = this.#readers.get(handle);
    if (!reader) {
      reader = new ReadyIndex(handle, this.#def.attributes.find((a) => a.name === attribute), this.#stores.records);
      this.#readers.set(handle, reader);
    }
    return reader;
  }

  byIndex(attribute: string, value: unknown): Iterable<Key> {
    return this.index(attribute).ids(value);
  }

  byIndexRange(attribute: string, range: IndexRange): Iterable<Key> {
    const index = this.index(attribute);
    if (!index.rangeable) {
      throw new LodeError('BAD_REQUEST', `${this.name}.${attribute} is not a numeric or Date index; its ranges cannot be read from the index`);
    }
    return index.range(range);
  }

  indexStatus(attribute: string): IndexStatus {
    return this.#indexes.get(attribute)?.status ?? 'absent';
  }

  async whenIndexesReady(): Promise<void> {
    await Promise.all(this.#maintained.map((handle) => handle.settled));
  }

  count(): number {
    return recordCount(this.#stores.records);
  }

  expiresAt(id: Key, snapshot?: LmdbTransaction): number | undefined {
    return this.#stores.expires.get(id, snapshot && { transaction: snapshot });
  }

  /**
   * Marks a record stale (expired now) without changing it: a cache reloads it on the next read,
   * and eviction keeps it for the cache's grace like any expired record.
   */
  async invalidate(id: Key): Promise<boolean> {
    const key = this.#checkKey(id);
    const now = this.#host.now();
    return this.#stores.env.transaction(() => {
      if (!this.#stores.records.doesExist(key)) return false;
      const expiresAt = this.#stores.expires.get(key);
      if (expiresAt === undefined || expiresAt > now) setExpiry(this.#stores, key, now);
      return true;
    });
  }

  /**
   * Removes up to `limit` records that expired before `before`, in one transaction: housekeeping of
   * a cache, so no change-log entry or tombstone. Returns how many it removed.
   */
  async evictExpired(before: number, limit: number): Promise<number> {
    const { env, records, expires, expiry } = this.#stores;
    return env.transaction(() => {
      let evicted = 0;
      for (const { key: expiresAt, value: id } of expiry.getRange({ start: -Infinity, end: before, limit })) {
        if (expires.get(id) !== expiresAt) continue;
        const stored = records.get(id);
        const old = stored === undefined ? undefined : valueOf(stored);
        records.removeSync(id);
        setExpiry(this.#stores, id, undefined);
        if (old !== undefined) updateIndexes(this.#maintained, id, old, undefined);
        evicted++;
      }
      return evicted;
    });
  }

  /** Version of the delete that removed `id`, while its tombstone is kept. */
  tombstoneVersion(id: Key): number | undefined {
    return this.#stores.tombstones.get(id);
  }

  /**
   * Sets `@createdTime` and `@updatedTime` on `value`, which it owns: a whole record keeps the creation
   * time of the one it replaces; a patch carries it only when it creates the record.
   */
  #stampTimes(value: Value, old: Value | undefined, now: number, partial: boolean): Value {
    for (const attribute of this.#createdTime) {
      const kept = old === undefined ? undefined : ownValue(old, attribute.name);
      if (kept === undefined) value[attribute.name] = timestampValue(attribute.type, now);
      else if (!partial) value[attribute.name] = kept;
    }
    for (const attribute of this.#updatedTime) value[attribute.name] = timestampValue(attribute.type, now);
    return value;
  }

  /**
   * Auto-increment, allocated before the commit so the caller has the id at once: above every stored
   * key and every id this process reserved, so concurrent creates never pick the same one.
   */
  #reserveNumericKey(): number {
    let max = this.#lastReserved;
    for (const db of [this.#stores.records, this.#stores.tombstones] as Database<unknown, Key>[]) {
      for (const key of db.getKeys({ reverse: true, limit: 1 })) {
        if (typeof key === 'number' && key > max) max = Math.floor(key);
      }
    }
    this.#lastReserved = max + 1;
    return this.#lastReserved;
  }

  #checkKey(id: unknown): Key {
    if (!isKeyOf(this.#keyKind, id)) {
      throw new LodeError('INVALID_ID', `${JSON.stringify(String(id))} is not a valid ${this.name} id`);
    }
    return id;
  }

  /** The stored value carries its key; a different key in the body is a client error, not silently replaced. */
  #withKey(value: Value, key: Key): Value {
    const pk = this.#def.primaryKey;
    const given = value[pk];
    if (given === key) return value;
    if (given !== undefined) {
      throw new LodeError('VALIDATION_FAILED', '1 attribute is invalid', {
        errors: [{ path: pk, message: `does not match the record id ${JSON.stringify(key)}` }],
      });
    }
    return { [pk]: key, ...value };
  }
}
