import type { Database, RangeOptions } from 'lmdb';
import type { TableDef } from '../schema/index.js';
import type { DatabaseEnv } from './database-env.js';
import type { IndexHandle } from './index-handle.js';
import { indexKeys, type IndexKey } from './index-keys.js';
import { ownValue } from './keys.js';
import type { LogRecord } from './log-entry.js';
import { storedRecord, type RecordRow, type RecordsDb } from './stored-record.js';
import type { ChangeEntry, Key } from './types.js';
import { baseState, decodeVersions, NO_STAMP, encodeVersions, isPlainState, newestVersion, type Increment, type IncrementLog, type RecordState, type Stamp, type StoredVersions, type VersionedWrite, type VersionState } from './version-state.js';
import type { Value } from './write-op.js';

/** Expiry time → ids (dupSort), so eviction reads only what has expired. */
export interface ExpiryIndex {
  putSync(expiresAt: number, id: Key): void;
  removeSync(expiresAt: number, id: Key): boolean;
  getRange(options: RangeOptions): Iterable<{ key: number; value: Key }>;
}

/** The DBIs a table lives in; rebound when a new schema generation moves the table. */
export interface TableStores {
  env: DatabaseEnv;
  records: RecordsDb;
  tombstones: Database<number, Key>;
  /** Id → when the record expires (ms since the epoch); the time of the invalidation once invalidated. */
  expires: Database<number, Key>;
  expiry: ExpiryIndex;
  /** Id → how its writes merge (version state), kept only when more than a local base is needed. */
  versions: Database<StoredVersions, Key>;
  /** [id, attribute, version, origin] → delta: the increments of counters since they were last set. */
  increments: Database<number, IncrementKey>;
}

export type IncrementKey = [Key, string, number, number] | [Key, string];

/** What a merged write needs to be stored: where, by which node, and how the table indexes it. */
export interface WriteContext {
  def: TableDef;
  stores: TableStores;
  indexes: readonly IndexHandle[];
  nodeId: number;
  now: number;
}

const NO_KEYS: IndexKey[] = [];

/**
 * The state of a record id as stored. Without a state entry, a record is a base written by the
 * node it names, and a tombstone one written by this node.
 */
export function recordStateOf(stores: TableStores, id: Key, old: RecordRow | undefined, nodeId: number): RecordState {
  const stored = stores.versions.get(id);
  if (stored !== undefined) {
    const versions = decodeVersions(stored);
    return { value: old?.value, version: old?.version ?? pendingVersion(stores, id, versions), versions };
  }
  if (old !== undefined) return { value: old.value, version: old.version, versions: baseState([old.version, old.origin], false) };
  const deletedAt = stores.tombstones.get(id) ?? 0;
  return { value: undefined, version: deletedAt, versions: baseState(deletedAt === 0 ? NO_STAMP : [deletedAt, nodeId], true) };
}

/** The newest version merged into a record that does not exist (so has no version of its own). */
function pendingVersion(stores: TableStores, id: Key, versions: VersionState): number {
  const increments = incrementsOf(stores, id);
  let newest = newestVersion(versions);
  for (const name of versions.counted) newest = Math.max(newest, increments.since(name, NO_STAMP).at(-1)?.stamp[0] ?? 0);
  return newest;
}

/**
 * The increments of one record, in its table's increments DBI (inside a write transaction when it
 * changes them). `freshStamp`: the write merged with them has a stamp newer than any stored (a
 * local write), so it cannot be one of them already.
 */
export function incrementsOf(stores: TableStores, id: Key, freshStamp = false): IncrementLog {
  return new StoredIncrements(stores.increments, id, freshStamp);
}

class StoredIncrements implements IncrementLog {
  readonly #db: Database<number, IncrementKey>;
  readonly #id: Key;
  readonly #freshStamp: boolean;

  constructor(db: Database<number, IncrementKey>, id: Key, freshStamp: boolean) {
    this.#db = db;
    this.#id = id;
    this.#freshStamp = freshStamp;
  }

  since(attribute: string, [version, origin]: Stamp): Increment[] {
    const range = this.#db.getRange({ start: [this.#id, attribute, version, origin], end: this.#end(attribute) });
    return [...range.map(({ key, value }): Increment => ({ stamp: [key[2]!, key[3]!] as Stamp, delta: value }))];
  }

  has(attribute: string, [version, origin]: Stamp): boolean {
    return !this.#freshStamp && this.#db.doesExist([this.#id, attribute, version, origin]);
  }

  add(attribute: string, { stamp, delta }: Increment): void {
    this.#db.putSync([this.#id, attribute, stamp[0], stamp[1]], delta);
  }

  dropBefore(attribute: string, [version, origin]: Stamp): void {
    for (const key of this.#db.getKeys({ start: [this.#id, attribute], end: [this.#id, attribute, version, origin] })) this.#db.removeSync(key);
  }

  /** Keys sort by attribute, then stamp; `${attribute}\u0000` sorts after every key of the attribute. */
  #end(attribute: string): IncrementKey {
    return [this.#id, `${attribute}\u0000`];
  }
}

/** The version a new local write of the record gets: above everything its state holds. */
export function nextLocalStamp(env: DatabaseEnv, state: RecordState, nodeId: number): Stamp {
  return [env.nextVersion(state.version), nodeId];
}

/**
 * Inside a write transaction: stores a merged record (its value, tombstone, state, expiry and
 * index entries) and appends its log entry. `write` is what was merged, logged as it is so that
 * peers merge the same write; `loggedBody` is how a peer logged it, stored as it is when this node
 * logs the same (a whole-record write that merged as it came).
 */
export function storeMerged(context: WriteContext, key: Key, before: RecordState, after: RecordState, write: VersionedWrite, expiresAt: number | undefined, loggedBody?: Uint8Array): ChangeEntry {
  const { stores, def, nodeId, now } = context;
  const { records, tombstones, versions } = stores;
  const value = after.value;
  // A record that does not exist has no expiry, and a tombstone exactly when its base is a delete with a version.
  const existed = before.value !== undefined;
  if (value !== undefined) {
    // An existing record with a plain state has a base: the record names the node that wrote it.
    records.putSync(key, storedRecord(value, isPlainState(after.versions) ? after.versions.base[1] : nodeId, nodeId), after.version);
    if (!existed && before.versions.base[0] > 0) tombstones.removeSync(key);
    const expiry = expiresAt ?? (def.expiration === undefined ? undefined : now + def.expiration * 1000);
    if (existed || expiry !== undefined) setExpiry(stores, key, expiry);
  } else {
    if (existed) {
      records.removeSync(key);
      setExpiry(stores, key, undefined);
    }
    if (after.versions.base[0] > 0) tombstones.putSync(key, after.versions.base[0]);
  }
  if (after.versions !== before.versions) {
    if (needsStateEntry(after.versions, value !== undefined, nodeId)) versions.putSync(key, encodeVersions(after.versions));
    else if (needsStateEntry(before.versions, existed, nodeId)) versions.removeSync(key);
  }
  updateIndexes(context.indexes, key, before.value, value);
  const [version, origin] = write.stamp;
  const log: LogRecord = { op: value === undefined ? 'delete' : 'put', table: def.name, id: key, version, origin, at: now };
  if (value !== undefined) log.value = value;
  if (write.op === 'patch') {
    log.set = write.set;
    if (write.add !== undefined) log.add = write.add;
    if (write.upsert) log.upsert = true;
  }
  if (expiresAt !== undefined) log.expiresAt = expiresAt;
  const sameAsLogged = write.op === 'put' ? value === write.value : write.op === 'delete' && value === undefined;
  return stores.env.appendLog(log, sameAsLogged ? loggedBody : undefined);
}

/** More than a base, or a tombstone of another node's delete: what the record and tombstone DBIs cannot say. */
function needsStateEntry(versions: VersionState, exists: boolean, nodeId: number): boolean {
  return !isPlainState(versions) || (!exists && versions.base[0] > 0 && versions.base[1] !== nodeId);
}

/** Inside a write transaction: the record's expiry, kept in both the id map and the time index. */
export function setExpiry(stores: TableStores, key: Key, expiresAt: number | undefined): void {
  const { expires, expiry } = stores;
  const previous = expires.get(key);
  if (previous === expiresAt) return;
  if (previous !== undefined) expiry.removeSync(previous, key);
  if (expiresAt === undefined) {
    if (previous !== undefined) expires.removeSync(key);
    return;
  }
  expires.putSync(key, expiresAt);
  expiry.putSync(expiresAt, key);
}

export function updateIndexes(indexes: readonly IndexHandle[], key: Key, before: Value | undefined, after: Value | undefined): void {
  for (const index of indexes) {
    const name = index.attribute;
    const oldKeys = before === undefined ? NO_KEYS : indexKeys(ownValue(before, name));
    const newKeys = after === undefined ? NO_KEYS : indexKeys(ownValue(after, name));
    for (const k of oldKeys) if (!newKeys.includes(k)) index.db.removeSync(k, key);
    for (const k of newKeys) if (!oldKeys.includes(k)) index.db.putSync(k, key);
  }
}
