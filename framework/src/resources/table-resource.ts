import { LodeError } from '../errors/index.js';
import { parseQuery, parseQueryObject, runQuery, type QueryObject } from '../query/index.js';
import { LiveEvent, subscribeRequest, type RealtimeHub, type Subscription } from '../realtime/index.js';
import { validateRecord, type Key, type ReadableTable, type RecordEntry, type StoredTable, type WriteOptions } from '../storage/index.js';
import type { Logger } from '../util/index.js';
import { assertQueryReadable, assertWritable, readableRow, readableRows } from './attribute-rights.js';
import { readCached, type CachedEntry } from './cached-read.js';
import { cacheDirectives, SourceCache, type CacheOptions, type CacheSource, type SourceContext } from './source-cache.js';
import type { ContextStore, RequestContext } from './context.js';
import { Resource, type RequestTarget, type ResourceId } from './resource.js';
import { transactionOf } from './transaction-scope.js';
import { updatableRecord, type UpdatableRecord } from './updatable-record.js';

type TargetOrId = RequestTarget | ResourceId;
type MaybePromise<T> = T | Promise<T>;

function isTarget(value: unknown): value is RequestTarget {
  return typeof value === 'object' && value !== null && 'isCollection' in value && 'path' in value;
}

/**
 * The resource behind every `@table`: `tables.Item`. Apps extend it to change behaviour
 * (`class Item extends tables.Item { static async get(target) { … super.get(target) … } }`);
 * every method also takes a plain id so resource code can call `tables.Item.get(12)`.
 */
export class TableResource extends Resource {
  /** Bound per app generation by `bindTableResource`. */
  static table: StoredTable;
  static contexts: ContextStore;
  static realtime: RealtimeHub;
  static logger: Logger;
  /** Set by `sourcedFrom`: the table is a cache of that source. */
  static cache: SourceCache | undefined;
  /** Every source cache of this table's classes in one generation, shared with subclasses (so the app can start and stop them). */
  static caches: Set<SourceCache>;

  static get tableName(): string {
    return this.table.name;
  }

  static override coerceId(raw: string): Key {
    return this.table.coerceKey(raw);
  }

  /** Typed as possibly async so subclasses can override it with `static async get`; the table's own read is synchronous. */
  static get(target: TargetOrId | QueryObject, context?: RequestContext): MaybePromise<Record<string, unknown> | Iterable<Record<string, unknown>> | undefined> {
    const ctx = context ?? this.contexts.getContext();
    if (typeof target === 'object' && !isTarget(target)) return this.search(target, ctx);
    const id = this.idOf(target);
    const readable = isTarget(target) ? target.attributeRights?.read : undefined;
    if (id === undefined) {
      if (isTarget(target) && target.search !== '') return this.query(target.search, ctx, readable);
      const rows = this.scanValues(ctx);
      return readable ? readableRows(rows, readable, this.table.def.primaryKey) : rows;
    }
    if (this.cache !== undefined || this.table.def.expiration !== undefined) {
      const cached = readCached(this, id, ctx, isTarget(target) ? target : undefined);
      return readable ? Promise.resolve(cached).then((row) => row && readableRow(row, readable, this.table.def.primaryKey)) : cached;
    }
    const txn = transactionOf(ctx);
    const entry = txn ? txn.get(this.table, id) : this.table.get(id);
    if (!entry) return undefined;
    if (readable) return readableRow(entry.value, readable, this.table.def.primaryKey);
    // A record this transaction has written has no stored version yet, so no ETag.
    if (ctx && entry.version !== 0) ctx.record = { value: entry.value, version: entry.version };
    return entry.value;
  }

  static async put(target: TargetOrId, data: unknown, context?: RequestContext): Promise<void> {
    const id = this.requireId(target, 'PUT');
    if (isTarget(target)) assertWritable(data, target.attributeRights, 'update', this.table.name, this.table.def.primaryKey);
    const ctx = context ?? this.contexts.getContext();
    const source = this.cache?.source;
    if (typeof source?.put === 'function') {
      // The local record is only written once the source took it: validate first, so the source never gets what the table refuses.
      const record = { [this.table.def.primaryKey]: id, ...validateRecord(this.table.def, data, 'full') };
      await writeThrough(this.table.name, () => source.put!(id, record, sourceContextOf(ctx)));
    }
    const options = this.writeOptions(ctx);
    const txn = transactionOf(ctx);
    if (txn) txn.put(this.table, id, data, options);
    else await this.table.put(id, data, options);
  }

  static async patch(target: TargetOrId, data: unknown, context?: RequestContext): Promise<void> {
    const id = this.requireId(target, 'PATCH');
    if (isTarget(target)) assertWritable(data, target.attributeRights, 'update', this.table.name, this.table.def.primaryKey);
    const ctx = context ?? this.contexts.getContext();
    const source = this.cache?.source;
    let sourceWrote = false;
    if (typeof source?.patch === 'function' || typeof source?.put === 'function') {
      sourceWrote = true;
      const changes = validateRecord(this.table.def, data, 'partial');
      const sourceContext = sourceContextOf(ctx);
      if (typeof source.patch === 'function') await writeThrough(this.table.name, () => source.patch!(id, changes, sourceContext));
      else {
        const current = transactionOf(ctx)?.get(this.table, id) ?? this.table.get(id);
        if (current === undefined) throw new LodeError('NOT_FOUND', `No ${this.table.name} record with id ${JSON.stringify(id)}`);
        await writeThrough(this.table.name, () => source.put!(id, { ...current.value, ...changes }, sourceContext));
      }
    }
    const options = this.writeOptions(ctx);
    const txn = transactionOf(ctx);
    const updated = txn ? txn.patch(this.table, id, data, options) : (await this.table.patch(id, data, options)) !== undefined;
    // The source has the record even when the cache does not: the next read loads it patched.
    if (!updated && !sourceWrote) throw new LodeError('NOT_FOUND', `No ${this.table.name} record with id ${JSON.stringify(id)}`);
  }

  /**
   * Makes the table a cache of `source` (Harper's `sourcedFrom`): reads of missing, expired or
   * invalidated records load from `source.get`; writes go to the source first when it has
   * `put`/`patch`/`delete`; changes it pushes through `subscribe()` update the cache (docs/caching.md).
   */
  static sourcedFrom(source: CacheSource, options: CacheOptions = {}): typeof TableResource {
    if (this.cache) this.caches.delete(this.cache);
    this.cache = new SourceCache(this.table, source, options);
    this.caches.add(this.cache);
    return this;
  }

  /**
   * Whether an expired (or invalidated) cached record may be served while it reloads in the
   * background. Override to wait for the source instead, for some records or all.
   */
  static allowStaleWhileRevalidate(_entry: CachedEntry, _id: Key): boolean {
    return true;
  }

  /** Marks the cached record stale: the next read reloads it from the source. */
  static async invalidate(target: TargetOrId, _context?: RequestContext): Promise<void> {
    await this.table.invalidate(this.requireId(target, 'invalidate'));
  }

  /** A write's expiry on a caching table: the request's `Cache-Control: max-age`, else the cache's expiration. */
  private static writeOptions(context: RequestContext | undefined): WriteOptions | undefined {
    if (this.cache === undefined && this.table.def.expiration === undefined) return undefined;
    const maxAge = cacheDirectives(context?.headers.get('cache-control')).maxAge;
    const ms = maxAge === undefined ? this.cache?.expirationMs : maxAge * 1000;
    return ms === undefined ? undefined : { expiresAt: Date.now() + ms };
  }

  /** Creates a record; over HTTP the answer is 201 with `Location` pointing at the new record. */
  static async post(target: TargetOrId, data: unknown, context?: RequestContext): Promise<Record<string, unknown>> {
    if (this.idOf(target) !== undefined) {
      throw new LodeError('METHOD_NOT_ALLOWED', 'POST creates a record in a collection: send it to /{Export}/', {
        headers: { Allow: 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS' },
      });
    }
    if (isTarget(target)) assertWritable(data, target.attributeRights, 'insert', this.table.name, this.table.def.primaryKey);
    const ctx = context ?? this.contexts.getContext();
    const created = await this.create(data, ctx);
    if (ctx) {
      ctx.status = 201;
      const collection = ctx.url.endsWith('/') ? ctx.url : `${ctx.url}/`;
      ctx.responseHeaders.Location = `${collection}${encodeURIComponent(String(this.primaryKeyOf(created)))}`;
    }
    const readable = isTarget(target) ? target.attributeRights?.read : undefined;
    return readable ? readableRow(created, readable, this.table.def.primaryKey) : created;
  }

  /** Inserts a record with a new id (or the one it carries: 409 if that one is taken). */
  static async create(record: unknown, context?: RequestContext): Promise<Record<string, unknown>> {
    const txn = transactionOf(context ?? this.contexts.getContext());
    return txn ? txn.create(this.table, record) : (await this.table.create(record)).value;
  }

  static async delete(target: TargetOrId, context?: RequestContext): Promise<void> {
    const id = this.requireId(target, 'DELETE');
    const ctx = context ?? this.contexts.getContext();
    const source = this.cache?.source;
    const sourceWrote = typeof source?.delete === 'function';
    if (sourceWrote) await writeThrough(this.table.name, () => source!.delete!(id, sourceContextOf(ctx)));
    const txn = transactionOf(ctx);
    const deleted = txn ? txn.delete(this.table, id) : await this.table.delete(id);
    // Deleted at the source is deleted, whether or not the cache held a copy.
    if (!deleted && !sourceWrote) throw new LodeError('NOT_FOUND', `No ${this.table.name} record with id ${JSON.stringify(id)}`);
  }

  /**
   * The record at `target` to change in place, written when the transaction commits: set its
   * attributes (`record.status = 'shipped'`), or `addTo`/`subtractFrom` a counter, which never
   * loses a concurrent increment. Needs a transaction: a request's, or `transaction()`'s.
   */
  static update(target: TargetOrId, context?: RequestContext): UpdatableRecord {
    const id = this.requireId(target, 'update');
    const txn = transactionOf(context ?? this.contexts.getContext());
    if (!txn) {
      throw new LodeError('INTERNAL', `${this.table.name}.update() needs a transaction: call it while handling a request, or inside transaction(async () => …)`);
    }
    return updatableRecord(this.table, txn, id);
  }

  /**
   * Runs a query in Harper's URL grammar (`'category=books&price=lt=20&sort(-price)&limit(10)'`) or
   * as a query object (`{ conditions: [{ attribute: 'category', value: 'books' }], limit: 10 }`):
   * the matching records, lazily, or `{ count }` for `count` and the plan for `explain`. Inside a
   * transaction it sees the transaction's own writes.
   */
  static search(query: string | QueryObject, context?: RequestContext): Iterable<Record<string, unknown>> | Record<string, unknown> {
    return this.query(query, context, undefined);
  }

  /** `search`, limited to the attributes a user may read (when `readable` says which). */
  private static query(query: string | QueryObject, context: RequestContext | undefined, readable: ReadonlySet<string> | undefined): Iterable<Record<string, unknown>> | Record<string, unknown> {
    const parsed = typeof query === 'string' ? parseQuery(query.startsWith('?') ? query.slice(1) : query) : parseQueryObject(query);
    const primaryKey = this.table.def.primaryKey;
    assertQueryReadable(parsed, readable, this.table.name, primaryKey);
    const outcome = runQuery(this.readable(context), parsed);
    if (outcome.kind !== 'rows') return outcome.value as Record<string, unknown>;
    const rows = outcome.rows as Iterable<Record<string, unknown>>;
    return readable ? readableRows(rows, readable, primaryKey) : rows;
  }

  /** The table as the transaction of `context` (or the current one) reads it. */
  private static readable(context: RequestContext | undefined): ReadableTable {
    const txn = transactionOf(context ?? this.contexts.getContext());
    return txn ? txn.view(this.table) : this.table;
  }

  /**
   * A live stream of the changes to a record (`/T/1`), the table (`/T/`, `/T/prefix/`) or the
   * records matching conditions (`/T/?category=x`): the current state first, then each change, as
   * `{ type, id, value, version, seq }` events (docs/realtime.md).
   */
  static subscribe(target: TargetOrId, context?: RequestContext): Subscription {
    const request = isTarget(target) ? target : { id: target, path: String(target), search: '', isCollection: false };
    const subscription = this.realtime.subscribe(this.table, subscribeRequest(request));
    // Ends with its connection even when a connect() generator is suspended waiting on it.
    const signal = (context ?? this.contexts.getContext())?.signal;
    if (signal?.aborted) void subscription.return();
    else signal?.addEventListener('abort', () => void subscription.return(), { once: true });
    return subscription;
  }

  /**
   * What WebSocket and SSE clients of a table get: its subscription (frames the client sends are
   * ignored), showing only the attributes the client's roles may read.
   */
  static connect(target: RequestTarget, _incoming: AsyncIterable<unknown> | undefined, context?: RequestContext): AsyncIterable<unknown> {
    const readable = target.attributeRights?.read;
    if (readable === undefined) return this.subscribe(target, context);
    const where = subscribeRequest(target).where;
    assertQueryReadable({ ...(where && { where }), count: false, explain: false }, readable, this.table.name, this.table.def.primaryKey);
    return readableEvents(this.subscribe(target, context), readable, this.table.def.primaryKey);
  }

  /** Sends `message` to the record's subscribers (and the table's) without storing it; it replays and replicates. */
  static async publish(target: TargetOrId, message: unknown, context?: RequestContext): Promise<void> {
    const id = this.requireId(target, 'publish');
    const txn = transactionOf(context ?? this.contexts.getContext());
    if (txn) txn.publish(this.table, id, message);
    else await this.table.publish(id, message);
  }

  /** Number of records in the table. */
  static count(): number {
    return this.table.count();
  }

  static entry(id: Key): RecordEntry | undefined {
    return this.table.get(id);
  }

  static primaryKeyOf(record: Record<string, unknown>): Key {
    return record[this.table.def.primaryKey] as Key;
  }

  private static idOf(target: TargetOrId): Key | undefined {
    if (!isTarget(target)) return target;
    return target.id;
  }

  private static requireId(target: TargetOrId, method: string): Key {
    const id = this.idOf(target);
    if (id === undefined) {
      throw new LodeError('METHOD_NOT_ALLOWED', `${method} needs a record id: /{Export}/{id}`, {
        headers: { Allow: 'GET, HEAD, POST, OPTIONS' },
      });
    }
    return id;
  }

  private static *scanValues(context: RequestContext | undefined): Iterable<Record<string, unknown>> {
    for (const entry of this.readable(context).scan()) yield entry.value;
  }
}

/** A subscription's events with each record cut to what the subscriber may read (one encoding per event is lost: such subscribers are rare). */
async function* readableEvents(events: Subscription, readable: ReadonlySet<string>, primaryKey: string): AsyncIterable<LiveEvent> {
  try {
    for await (const event of events) {
      const value = event.value;
      yield event.type === 'put' && typeof value === 'object' && value !== null
        ? new LiveEvent({ ...event.toJSON(), value: readableRow(value as Record<string, unknown>, readable, primaryKey) }, event.resumable)
        : event;
    }
  } finally {
    await events.return();
  }
}

/** What a source's write is told about the request behind it. */
function sourceContextOf(context: RequestContext | undefined): SourceContext {
  return context ? { requestContext: context } : {};
}

/** A write to a table's source; its failure is the source's (502), and the local write does not happen. */
async function writeThrough(table: string, write: () => unknown): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (error instanceof LodeError) throw error;
    throw new LodeError('SOURCE_FAILED', `Writing ${table} to its source failed: ${(error as Error).message ?? String(error)}`);
  }
}

/** `tables.X` as generated types declare it: constructible, so app classes can extend it. */
export type TableResourceClass<Row = Record<string, unknown>> = (new () => TableResource) &
  Omit<typeof TableResource, 'get' | 'post' | 'create' | 'update'> & {
  get(target: TargetOrId | QueryObject, context?: RequestContext): MaybePromise<Row | Iterable<Row> | undefined>;
  post(target: TargetOrId, data: Partial<Row>, context?: RequestContext): Promise<Row>;
  create(record: Partial<Row>, context?: RequestContext): Promise<Row>;
  update(target: TargetOrId, context?: RequestContext): UpdatableRecord<Row>;
};

/** A fresh subclass per generation, bound to the table (whose storage identity survives reloads). */
export function bindTableResource(table: StoredTable, contexts: ContextStore, realtime: RealtimeHub, logger: Logger): typeof TableResource {
  const bound = class extends TableResource {};
  bound.table = table;
  bound.contexts = contexts;
  bound.realtime = realtime;
  bound.logger = logger;
  bound.caches = new Set();
  Object.defineProperty(bound, 'name', { value: table.name });
  return bound;
}

/** Starts the source subscriptions of a generation's caching tables, when the generation goes live. */
export function followSources(tables: Record<string, typeof TableResource>): void {
  for (const resource of Object.values(tables)) for (const cache of resource.caches) cache.follow(resource.logger);
}

/** Stops them when the generation is replaced or the app closes. */
export function stopSources(tables: Record<string, typeof TableResource>): void {
  for (const resource of Object.values(tables)) for (const cache of resource.caches) cache.stop();
}
