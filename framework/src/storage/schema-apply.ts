import type { Database } from 'lmdb';
import type { TableDef } from '../schema/index.js';
import type { DatabaseEnv, MetaKey } from './database-env.js';
import { IndexHandle, type IndexState } from './index-handle.js';
import type { ExpiryIndex, IncrementKey, TableStores } from './record-writer.js';
import type { StoredVersions } from './version-state.js';
import { Table, type TableHost } from './stored-table.js';
import type { Key, SchemaChanges } from './types.js';

/** What `meta` remembers of a table under `['table', physicalName]`, to diff the next schema against. */
interface TableDescriptor {
  name: string;
  table: string;
  attributes: string[];
  indexed: string[];
  retired?: boolean;
}

/** An index started by this schema: whether it must be built is decided inside the meta transaction. */
export interface IndexStart {
  table: Table;
  handle: IndexHandle;
  metaKey: MetaKey;
  label: string;
}

export interface SchemaHost {
  env(database: string): DatabaseEnv;
  openEnvs(): Iterable<DatabaseEnv>;
  /** Every table object ever created, by type name, so identity survives removal and re-adding. */
  readonly known: Map<string, Table>;
  /** The tables of the current schema. */
  readonly current: Map<string, Table>;
  readonly tableHost: TableHost;
  startBuild(start: IndexStart): void;
}

type MetaWrite = [MetaKey, unknown];

/**
 * Brings storage in line with a schema generation without ever deleting data: new tables and
 * attributes are recorded, new indexes start (built in the background when the table has records),
 * and whatever the schema no longer declares is only retired.
 */
export async function applySchema(host: SchemaHost, defs: TableDef[]): Promise<SchemaChanges> {
  const changes: SchemaChanges = { createdTables: [], addedAttributes: [], indexesBuilding: [], retired: [] };
  const byEnv = new Map<DatabaseEnv, TableDef[]>();
  for (const def of defs) {
    const env = host.env(def.database);
    const list = byEnv.get(env);
    if (list) list.push(def);
    else byEnv.set(env, [def]);
  }
  for (const env of host.openEnvs()) if (!byEnv.has(env)) byEnv.set(env, []);
  const names = new Set(defs.map((def) => def.name));
  for (const name of [...host.current.keys()]) if (!names.has(name)) host.current.delete(name);

  const starts: IndexStart[] = [];
  for (const [env, envDefs] of byEnv) {
    const writes: MetaWrite[] = [];
    const fresh: IndexStart[] = [];
    const descriptors = readDescriptors(env);
    for (const def of envDefs) {
      applyTable(host, env, def, descriptors.get(def.table), writes, fresh, starts, changes);
    }
    const physical = new Set(envDefs.map((def) => def.table));
    for (const [table, descriptor] of descriptors) {
      if (physical.has(table) || descriptor.retired) continue;
      changes.retired.push(descriptor.name);
      writes.push([['table', table], { ...descriptor, retired: true }]);
      for (const attribute of descriptor.indexed) retireIndex(env, table, attribute, writes);
      const stale = host.known.get(descriptor.name);
      if (stale && !host.current.has(descriptor.name)) {
        for (const handle of stale.indexHandles) handle.cancelled = true;
        stale.setIndexes([]);
      }
    }
    await env.transaction(() => {
      for (const [key, value] of writes) env.meta.putSync(key, value);
      for (const start of fresh) {
        const records = start.table.stores.records as Database<unknown, Key>;
        const empty = records.getKeys({ limit: 1 })[Symbol.iterator]().next().done === true;
        if (empty) start.handle.state.status = 'ready';
        env.meta.putSync(start.metaKey, start.handle.state);
        if (empty) start.handle.markReady();
      }
    });
    for (const start of fresh) if (start.handle.status === 'building') starts.push(start);
  }
  for (const start of starts) {
    changes.indexesBuilding.push(start.label);
    host.startBuild(start);
  }
  return changes;
}

function readDescriptors(env: DatabaseEnv): Map<string, TableDescriptor> {
  const descriptors = new Map<string, TableDescriptor>();
  for (const { value } of env.meta.getRange({ start: ['table'], end: ['table', '\uffff'] })) {
    const descriptor = value as TableDescriptor;
    descriptors.set(descriptor.table, descriptor);
  }
  return descriptors;
}

function applyTable(
  host: SchemaHost,
  env: DatabaseEnv,
  def: TableDef,
  old: TableDescriptor | undefined,
  writes: MetaWrite[],
  fresh: IndexStart[],
  resumed: IndexStart[],
  changes: SchemaChanges,
): void {
  const stored = def.attributes.filter((attribute) => !attribute.relationship);
  const attributes = stored.map((attribute) => attribute.name);
  const indexed = stored.filter((attribute) => attribute.indexed).map((attribute) => attribute.name);
  if (!old) {
    changes.createdTables.push(def.name);
  } else {
    for (const name of attributes) if (!old.attributes.includes(name)) changes.addedAttributes.push(`${def.name}.${name}`);
    for (const name of old.attributes) if (!attributes.includes(name)) changes.retired.push(`${def.name}.${name}`);
  }

  const stores: TableStores = {
    env,
    records: env.openRecords(`${def.table}/`),
    tombstones: env.openPlain<number>(`${def.table}/#deleted`),
    expires: env.openPlain<number>(`${def.table}/#expires`),
    expiry: env.openIndex(`${def.table}/#expiry`) as unknown as ExpiryIndex,
    versions: env.openPlain<StoredVersions>(`${def.table}/#versions`),
    increments: env.openPlain<number>(`${def.table}/#increments`) as unknown as Database<number, IncrementKey>,
  };
  let table = host.known.get(def.name);
  const previous = table?.indexHandles ?? [];
  if (table) {
    table.bind(def, stores);
  } else {
    table = new Table(def, stores, host.tableHost);
    host.known.set(def.name, table);
  }
  host.current.set(def.name, table);

  const handles: IndexHandle[] = [];
  for (const name of indexed) {
    const metaKey: MetaKey = ['index', def.table, name];
    const label = `${def.name}.${name}`;
    const state = env.meta.get(metaKey) as IndexState | undefined;
    if (state && state.status !== 'retired') {
      const prior = previous.find((handle) => handle.attribute === name && handle.state.dbi === state.dbi);
      if (prior && !prior.cancelled && (prior.status === 'ready' || prior.running)) {
        handles.push(prior);
        if (prior.status === 'building') changes.indexesBuilding.push(label);
        continue;
      }
      const handle = new IndexHandle(name, env.openIndex(state.dbi), state);
      handles.push(handle);
      if (handle.status === 'building') resumed.push({ table, handle, metaKey, label });
      continue;
    }
    const generation = state ? state.generation + 1 : 0;
    const dbi = generation === 0 ? `${def.table}/${name}` : `${def.table}/${name}#${generation}`;
    const handle = new IndexHandle(name, env.openIndex(dbi), { dbi, generation, status: 'building' });
    handles.push(handle);
    fresh.push({ table, handle, metaKey, label });
  }
  for (const handle of previous) if (!handles.includes(handle)) handle.cancelled = true;
  for (const name of old?.retired ? [] : (old?.indexed ?? [])) {
    if (indexed.includes(name)) continue;
    retireIndex(env, def.table, name, writes);
    if (attributes.includes(name)) changes.retired.push(`${def.name}.${name} (index)`);
  }
  table.setIndexes(handles);
  const descriptor: TableDescriptor = { name: def.name, table: def.table, attributes, indexed };
  writes.push([['table', def.table], descriptor]);
}

function retireIndex(env: DatabaseEnv, table: string, attribute: string, writes: MetaWrite[]): void {
  const key: MetaKey = ['index', table, attribute];
  const state = env.meta.get(key) as IndexState | undefined;
  if (state && state.status !== 'retired') {
    writes.push([key, { dbi: state.dbi, generation: state.generation, status: 'retired' } satisfies IndexState]);
  }
}
