import { randomUUID } from 'node:crypto';
import type { Database, RangeOptions } from 'lmdb';
import { LodeError } from '../errors/index.js';
import type { AttributeDef, TableDef } from '../schema/index.js';
import { recordCount, type DatabaseEnv } from './database-env.js';
import type { IndexHandle } from './index-handle.js';
import { indexKeys, type IndexKey } from './index-keys.js';
import { coerceKeyFor, isKeyOf, keyKind, ownValue, timestampValue, type KeyKind } from './keys.js';
import { ReadyIndex } from './table-index.js';
import type { ChangeEntry, IndexRange, IndexStatus, Key, RecordEntry, ScanOptions, StoredTable, TableIndex } from './types.js';
import { validateRecord } from './validate.js';

type Value = Record<string, unknown>;

/** The DBIs a table lives in; rebound when a new schema generation moves the table. */
export interface TableStores {
  env: DatabaseEnv;
  records: Database<Value, Key>;
  tombstones: Database<number, Key>;
  expires: Database<number, Key> | undefined;
}

export interface TableHost {
  readonly nodeId: number;
  now(): number;
  emit(entries: ChangeEntry[]): void;
  table(name: string): StoredTable | undefined;
}

const NO_KEYS: IndexKey[] = [];

/** A table's records, secondary indexes and writes (each write is one LMDB transaction with its log entry). */
export class Table implements StoredTable {
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

  get(id: Key): RecordEntry | undefined {
    const entry = this.#stores.records.getEntry(id);
    return entry === undefined ? undefined : { id, value: entry.value, version: entry.version ?? 0 };
  }

  async put(id: Key, record: unknown): Promise<RecordEntry> {
    const key = this.#checkKey(id);
    const value = this.#withKey(validateRecord(this.#def, record, 'full'), key);
    const change = await this.#stores.env.transaction(() => {
      const old = this.#stores.records.getEntry(key);
      return this.#writeRecord(key, value, old);
    });
    return this.#committed(change);
  }

  async patch(id: Key, partial: unknown): Promise<RecordEntry | undefined> {
    const key = this.#checkKey(id);
    const changes = this.#withKey(validateRecord(this.#def, partial, 'partial'), key);
    const change = await this.#stores.env.transaction(() => {
      const old = this.#stores.records.getEntry(key);
      if (old === undefined) return undefined;
      const merged = validateRecord(this.#def, { ...old.value, ...changes }, 'full');
      return this.#writeRecord(key, merged, old);
    });
    return change && this.#committed(change);
  }

  async create(record: unknown): Promise<RecordEntry> {
    const value = validateRecord(this.#def, record, 'full');
    const pk = this.#def.primaryKey;
    const given = value[pk] === undefined ? undefined : this.#checkKey(value[pk]);
    const uuid = given === undefined && (this.#keyKind === 'string' || this.#keyKind === 'any') ? randomUUID() : undefined;
    const change = await this.#stores.env.transaction(() => {
      let key: Key;
      if (given !== undefined) {
        if (this.#stores.records.doesExist(given)) {
          throw new LodeError('CONFLICT', `A ${this.name} record with id ${JSON.stringify(given)} already exists`);
        }
        key = given;
      } else {
        key = uuid ?? this.#nextNumericKey();
      }
      return this.#writeRecord(key, this.#withKey(value, key), undefined);
    });
    return this.#committed(change);
  }

  async delete(id: Key): Promise<boolean> {
    const key = this.#checkKey(id);
    const change = await this.#stores.env.transaction(() => {
      const { env, records, tombstones, expires } = this.#stores;
      const old = records.getEntry(key);
      if (old === undefined) return undefined;
      const version = env.nextVersion(old.version ?? 0);
      records.removeSync(key);
      tombstones.putSync(key, version);
      expires?.removeSync(key);
      this.#updateIndexes(key, old.value, undefined);
      const origin = this.#host.nodeId;
      const seq = env.appendLog({ op: 'delete', table: this.name, id: key, version, origin, at: this.#host.now() });
      const entry: ChangeEntry = { seq, database: env.name, table: this.name, op: 'delete', id: key, version, origin };
      return entry;
    });
    if (!change) return false;
    this.#host.emit([change]);
    return true;
  }

  scan(options: ScanOptions = {}): Iterable<RecordEntry> {
    const { start, end, limit, reverse } = options;
    const range: RangeOptions = { versions: true };
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
      .map(({ key, value, version }): RecordEntry => ({ id: key, value, version: version ?? 0 }));
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

  async publish(id: Key, message: unknown): Promise<ChangeEntry> {
    const key = this.#checkKey(id);
    const change = await this.#stores.env.transaction(() => {
      const { env } = this.#stores;
      const version = env.nextVersion(0);
      const origin = this.#host.nodeId;
      const seq = env.appendLog({ op: 'message', table: this.name, id: key, version, origin, at: this.#host.now(), value: message });
      const entry: ChangeEntry = { seq, database: env.name, table: this.name, op: 'message', id: key, version, origin, value: message };
      return entry;
    });
    this.#host.emit([change]);
    return change;
  }

  relatedTable(name: string): StoredTable | undefined {
    return this.#host.table(name);
  }

  index(attribute: string): TableIndex {
    const handle = this.#usableIndex(attribute);
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

  expiresAt(id: Key): number | undefined {
    return this.#stores.expires?.get(id);
  }

  /** Version of the delete that removed `id`, while its tombstone is kept. */
  tombstoneVersion(id: Key): number | undefined {
    return this.#stores.tombstones.get(id);
  }

  /** Inside the write transaction; throws nothing once it has started writing. */
  #writeRecord(key: Key, value: Value, old: { value: Value; version?: number } | undefined): ChangeEntry {
    const { env, records, tombstones, expires } = this.#stores;
    const now = this.#host.now();
    this.#stampTimes(value, old?.value, now);
    const deletedAt = old === undefined ? tombstones.get(key) : undefined;
    const version = env.nextVersion(old?.version ?? deletedAt ?? 0);
    records.putSync(key, value, version);
    if (deletedAt !== undefined) tombstones.removeSync(key);
    if (expires && this.#def.expiration !== undefined) expires.putSync(key, now + this.#def.expiration * 1000);
    this.#updateIndexes(key, old?.value, value);
    const origin = this.#host.nodeId;
    const seq = env.appendLog({ op: 'put', table: this.name, id: key, version, origin, at: now, value });
    return { seq, database: env.name, table: this.name, op: 'put', id: key, version, origin, value };
  }

  #committed(change: ChangeEntry): RecordEntry {
    this.#host.emit([change]);
    return { id: change.id, value: change.value as Value, version: change.version };
  }

  #updateIndexes(key: Key, before: Value | undefined, after: Value | undefined): void {
    for (const index of this.#maintained) {
      const name = index.attribute;
      const oldKeys = before === undefined ? NO_KEYS : indexKeys(ownValue(before, name));
      const newKeys = after === undefined ? NO_KEYS : indexKeys(ownValue(after, name));
      for (const k of oldKeys) if (!newKeys.includes(k)) index.db.removeSync(k, key);
      for (const k of newKeys) if (!oldKeys.includes(k)) index.db.putSync(k, key);
    }
  }

  #stampTimes(value: Value, old: Value | undefined, now: number): void {
    for (const attribute of this.#createdTime) {
      const kept = old === undefined ? undefined : ownValue(old, attribute.name);
      value[attribute.name] = kept ?? timestampValue(attribute.type, now);
    }
    for (const attribute of this.#updatedTime) value[attribute.name] = timestampValue(attribute.type, now);
  }

  /** Auto-increment inside the write transaction, so concurrent creates see each other. */
  #nextNumericKey(): number {
    let max = 0;
    for (const db of [this.#stores.records, this.#stores.tombstones] as Database<unknown, Key>[]) {
      for (const key of db.getKeys({ reverse: true, limit: 1 })) {
        if (typeof key === 'number' && key > max) max = Math.floor(key);
      }
    }
    return max + 1;
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
