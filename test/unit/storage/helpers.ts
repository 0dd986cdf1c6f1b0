import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttributeDef, ScalarName, TableDef, TypeRef } from '../../../framework/src/schema/index.js';
import { Storage, type DatabaseReplica, type Key, type StorageOptions, type StoredTable } from '../../../framework/src/storage/index.js';
import { Table } from '../../../framework/src/storage/stored-table.js';
import { silentLogger } from '../../../framework/src/util/index.js';

const location = { file: 'schema.graphql', line: 1, column: 1 };

export function scalar(name: ScalarName, nonNull = false): TypeRef {
  return { kind: 'scalar', name, nonNull };
}

export function list(of: TypeRef, nonNull = false): TypeRef {
  return { kind: 'list', of, nonNull };
}

export function object(name: string, attributes: AttributeDef[], sealed = false, nonNull = false): TypeRef {
  return { kind: 'object', name, attributes, sealed, nonNull };
}

export function enumType(name: string, values: string[], nonNull = false): TypeRef {
  return { kind: 'enum', name, values, nonNull };
}

export function attr(name: string, type: TypeRef | ScalarName, extra: Partial<AttributeDef> = {}): AttributeDef {
  return {
    name,
    type: typeof type === 'string' ? scalar(type) : type,
    primaryKey: false,
    indexed: false,
    createdTime: false,
    updatedTime: false,
    location,
    ...extra,
  };
}

/** A table with primary key `id` (type `keyType`, non-null) followed by `attributes`. */
export function tableDef(
  name: string,
  attributes: AttributeDef[],
  extra: Partial<TableDef> & { keyType?: ScalarName } = {},
): TableDef {
  const { keyType = 'ID', ...rest } = extra;
  return {
    name,
    table: name,
    database: 'data',
    primaryKey: 'id',
    attributes: [attr('id', scalar(keyType, true), { primaryKey: true }), ...attributes],
    sealed: false,
    replicate: true,
    audit: true,
    location,
    ...rest,
  };
}

export interface TempStorage {
  dir: string;
  storage: Storage;
  reopen(options?: Partial<StorageOptions>): Promise<Storage>;
  cleanup(): Promise<void>;
}

/** A Storage in a fresh temp directory; `cleanup` closes it and removes the directory. */
export async function tempStorage(options: Partial<StorageOptions> = {}): Promise<TempStorage> {
  const dir = mkdtempSync(join(tmpdir(), 'lode-storage-'));
  const dataDir = join(dir, 'data');
  let storage: Storage;
  try {
    storage = await Storage.open({ dataDir, logger: silentLogger, ...options });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const handle: TempStorage = {
    dir: dataDir,
    storage,
    async reopen(more = {}) {
      await handle.storage.close();
      handle.storage = await Storage.open({ dataDir, logger: silentLogger, ...options, ...more });
      return handle.storage;
    },
    async cleanup() {
      await handle.storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** Two storages with `defs` applied, as nodes 1 and 2 of a replication test. */
export async function storagePair(defs: TableDef[]): Promise<[TempStorage, TempStorage]> {
  const pair: [TempStorage, TempStorage] = [await tempStorage({ nodeId: 1 }), await tempStorage({ nodeId: 2 })];
  for (const { storage } of pair) await storage.applySchema(defs);
  return pair;
}

export function mustTable(storage: Storage, name: string): StoredTable {
  const table = storage.table(name);
  if (!table) throw new Error(`table ${name} is not open`);
  return table;
}

/** What replication reads and writes of the `data` database. */
export function mustReplica(storage: Storage): DatabaseReplica {
  const replica = storage.replica('data');
  if (!replica) throw new Error('database data is not open');
  return replica;
}

type IndexPair = [unknown, Key];

const byPair = (a: IndexPair, b: IndexPair): number => {
  const ka = JSON.stringify(a);
  const kb = JSON.stringify(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** What the index DBI of `attribute` holds, as sorted [indexed value, primary key] pairs. */
export function indexContents(table: StoredTable, attribute: string): IndexPair[] {
  if (!(table instanceof Table)) throw new Error('not a storage table');
  const handle = table.indexHandles.find((h) => h.attribute === attribute);
  if (!handle) throw new Error(`no index on ${attribute}`);
  const pairs: IndexPair[] = [];
  for (const { key, value } of handle.db.getRange({ start: null as unknown as string })) pairs.push([key, value]);
  return pairs.sort(byPair);
}

/** Strings over 500 UTF-8 bytes: the longest prefix that fits with a U+FFFF mark in 500 bytes. */
function truncated(value: string): string {
  if (Buffer.byteLength(value) <= 500) return value;
  let prefix = '';
  for (const char of value) {
    if (Buffer.byteLength(prefix + char) > 497) break;
    prefix += char;
  }
  return `${prefix}\uffff`;
}

/**
 * The oracle: index pairs recomputed from scratch from every live record, with the rules written
 * out independently of storage (arrays per element, null/absent as null, Date as ms, objects
 * skipped, long strings truncated).
 */
export function expectedIndex(table: StoredTable, attribute: string): IndexPair[] {
  const pairs: IndexPair[] = [];
  const seen = new Set<string>();
  const add = (value: unknown, id: Key): void => {
    let key: unknown;
    if (value === null || value === undefined) key = null;
    else if (value instanceof Date) key = value.getTime();
    else if (typeof value === 'object') return;
    else key = typeof value === 'string' ? truncated(value) : value;
    const tag = JSON.stringify([key, id]);
    if (!seen.has(tag)) pairs.push([key, id]);
    seen.add(tag);
  };
  for (const { id, value } of table.scan()) {
    const attributeValue = Object.hasOwn(value, attribute) ? value[attribute] : undefined;
    if (Array.isArray(attributeValue)) for (const element of attributeValue) add(element, id);
    else add(attributeValue, id);
  }
  return pairs.sort(byPair);
}
