import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LodeError } from '../errors/index.js';
import type { TableDef } from '../schema/index.js';
import { consoleLogger, type Logger } from '../util/index.js';
import { changeEntryOf, DatabaseEnv } from './database-env.js';
import { DatabaseReplica } from './database-replica.js';
import { buildIndex } from './index-build.js';
import { decodeLogEntry } from './log-entry.js';
import { applySchema, type IndexStart, type SchemaHost } from './schema-apply.js';
import type { Table, TableHost } from './stored-table.js';
import type { ChangeEntry, SchemaChanges, StorageOptions, StoredTable } from './types.js';

const NODE_ID_FILE = 'node-id';
const DEFAULT_FLUSH_INTERVAL_MS = 1000;
const DATABASE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Node id of a data directory: random, created on first use and kept in `<dataDir>/node-id`. */
function loadNodeId(dataDir: string): number {
  const file = join(dataDir, NODE_ID_FILE);
  if (existsSync(file)) {
    const id = Number(readFileSync(file, 'utf8').trim());
    if (Number.isInteger(id) && id > 0 && id < 2 ** 32) return id;
  }
  let id = 0;
  while (id === 0) id = randomBytes(4).readUInt32BE(0);
  writeFileSync(file, `${id}\n`);
  return id;
}

/**
 * The data directory: one LMDB environment per database, the tables of the current schema, the
 * change log and commit notifications. Open with `Storage.open`, then `applySchema` per generation.
 */
export class Storage {
  readonly nodeId: number;
  readonly dataDir: string;
  readonly #now: () => number;
  readonly #logger: Logger;
  readonly #envs = new Map<string, DatabaseEnv>();
  readonly #known = new Map<string, Table>();
  readonly #current = new Map<string, Table>();
  readonly #listeners = new Set<(entries: ChangeEntry[]) => void>();
  readonly #builds = new Set<Promise<void>>();
  readonly #replicas = new WeakMap<DatabaseEnv, DatabaseReplica>();
  readonly #tableHost: TableHost;
  readonly #writeAsync: boolean;
  readonly #flushing: NodeJS.Timeout | undefined;
  #schemaQueue: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(options: StorageOptions, nodeId: number) {
    this.dataDir = options.dataDir;
    this.nodeId = nodeId;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? consoleLogger;
    this.#tableHost = { nodeId, now: this.#now, emit: (entries) => this.#emit(entries), table: (name) => this.#current.get(name) };
    this.#writeAsync = options.writeAsync ?? false;
    this.#flushing = this.#writeAsync ? setInterval(() => void this.#flush(), options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS).unref() : undefined;
  }

  static async open(options: StorageOptions): Promise<Storage> {
    mkdirSync(options.dataDir, { recursive: true });
    const storage = new Storage(options, options.nodeId ?? loadNodeId(options.dataDir));
    for (const entry of readdirSync(options.dataDir, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(options.dataDir, entry.name, 'data.mdb'))) storage.#env(entry.name);
    }
    return storage;
  }

  async applySchema(tables: TableDef[]): Promise<SchemaChanges> {
    this.#assertOpen();
    const run = this.#schemaQueue.then(() => applySchema(this.#schemaHost(), tables));
    this.#schemaQueue = run.catch(() => undefined);
    return run;
  }

  table(name: string): StoredTable | undefined {
    return this.#current.get(name);
  }

  get tables(): ReadonlyMap<string, StoredTable> {
    return this.#current;
  }

  onCommit(listener: (entries: ChangeEntry[]) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** The change log of a database after `afterSeq` (exclusive), read lazily in commit order. */
  changes(database: string, afterSeq = 0): Iterable<ChangeEntry> {
    const env = this.#envs.get(database);
    if (!env) return [];
    return env.log.getRange({ start: afterSeq, exclusiveStart: true }).map(({ key, value }) => changeEntryOf(database, key, decodeLogEntry(value)));
  }

  /** The change log of a database from `seq` (inclusive) back to its oldest entry, newest first. */
  changesBackwards(database: string, seq: number): Iterable<ChangeEntry> {
    const env = this.#envs.get(database);
    if (!env) return [];
    return env.log.getRange({ start: seq, reverse: true }).map(({ key, value }) => changeEntryOf(database, key, decodeLogEntry(value)));
  }

  /** What the change log of a database still holds: its oldest and newest sequence. */
  logBounds(database: string): { first: number; last: number } {
    const env = this.#envs.get(database);
    return env ? { first: env.firstSeq, last: env.lastSeq } : { first: 1, last: 0 };
  }

  /** The first sequence of a database committed at or after `time` (ms). */
  seqAtTime(database: string, time: number): number {
    const env = this.#envs.get(database);
    return env ? env.seqAtTime(time) : 1;
  }

  /** Replication's access to a database: undefined until a table of it exists here. */
  replica(database: string): DatabaseReplica | undefined {
    const env = this.#envs.get(database);
    if (!env) return undefined;
    let replica = this.#replicas.get(env);
    if (!replica) {
      const replicates = (table: Table | undefined): table is Table => table !== undefined && table.def.database === database && table.def.replicate;
      replica = new DatabaseReplica(env, {
        nodeId: this.nodeId,
        now: this.#now,
        replicatedTableNames: () => [...this.#current.values()].filter(replicates).map((table) => table.name),
        // Called for every entry a peer sends: a lookup by name, not a scan of the schema's tables.
        replicatedTable: (name) => {
          const table = this.#current.get(name);
          return replicates(table) ? table : undefined;
        },
        emit: (changes) => this.#emit(changes),
        onCommit: (listener) => this.onCommit(listener),
      });
      this.#replicas.set(env, replica);
    }
    return replica;
  }

  /** Databases of the current schema with at least one table that replicates, by name. */
  replicatedDatabases(): string[] {
    return [...new Set([...this.#current.values()].filter((table) => table.def.replicate).map((table) => table.def.database))].sort();
  }

  /** Drops change-log entries committed before `time` in every database (retention). */
  async pruneLog(time: number): Promise<number> {
    const pruned = await Promise.all([...this.#envs.values()].map((env) => env.prune(time)));
    return pruned.reduce((sum, count) => sum + count, 0);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    clearInterval(this.#flushing);
    await this.#schemaQueue;
    await Promise.all(this.#builds);
    if (this.#writeAsync) await this.#flush();
    await Promise.all([...this.#envs.values()].map((env) => env.close()));
  }

  async #flush(): Promise<void> {
    await Promise.all([...this.#envs.values()].map((env) => env.sync())).catch((error: unknown) => this.#logger.error('Syncing the data directory to disk failed', error));
  }

  #assertOpen(): void {
    if (this.#closing) throw new LodeError('INTERNAL', 'Storage is closed');
  }

  #env(database: string): DatabaseEnv {
    let env = this.#envs.get(database);
    if (!env) {
      if (!DATABASE_NAME.test(database)) throw new LodeError('INTERNAL', `Invalid database name ${JSON.stringify(database)}`);
      env = new DatabaseEnv(this.dataDir, database, this.#now, this.#writeAsync);
      this.#envs.set(database, env);
    }
    return env;
  }

  #emit(entries: ChangeEntry[]): void {
    for (const listener of this.#listeners) {
      try {
        listener(entries);
      } catch (error) {
        this.#logger.error('A commit listener failed', error);
      }
    }
  }

  #startBuild(start: IndexStart): void {
    const build = buildIndex({
      env: start.table.stores.env,
      records: start.table.stores.records,
      handle: start.handle,
      metaKey: start.metaKey,
      stopping: () => this.#closing !== undefined,
    })
      .catch((error: unknown) => this.#logger.error(`Building the index ${start.label} failed`, error))
      .finally(() => this.#builds.delete(build));
    this.#builds.add(build);
  }

  #schemaHost(): SchemaHost {
    return {
      env: (database) => this.#env(database),
      openEnvs: () => this.#envs.values(),
      known: this.#known,
      current: this.#current,
      tableHost: this.#tableHost,
      startBuild: (start) => this.#startBuild(start),
    };
  }
}
