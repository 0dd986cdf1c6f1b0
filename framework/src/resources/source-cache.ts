import { LodeError } from '../errors/index.js';
import type { Key, RecordEntry, StoredTable } from '../storage/index.js';
import type { Logger } from '../util/index.js';
import type { RequestContext } from './context.js';

type Row = Record<string, unknown>;

/** What a source's methods get as their context (Harper's source context). */
export interface SourceContext {
  /** The request that needed the record, when there is one. */
  requestContext?: RequestContext;
  /** The cached record being replaced (stale or invalidated), and its version. */
  replacingRecord?: Row;
  replacingVersion?: number;
  /** Set by the source: when this record expires (ms since the epoch), instead of the table's expiration. */
  expiresAt?: number;
  /** Set by the source: return the record without caching it. */
  noCacheStore?: boolean;
}

/** A change a source pushes to its cache (active caching). */
export interface SourceEvent {
  type: 'put' | 'delete' | 'invalidate';
  id: Key;
  value?: Row;
}

/**
 * The origin of a caching table: a Resource class or any object with some of these methods. `get`
 * loads a record (undefined: it does not exist); `put`/`patch`/`delete` make writes write-through;
 * `subscribe` pushes changes into the cache as they happen.
 */
export interface CacheSource {
  get?(id: Key, context: SourceContext): unknown;
  put?(id: Key, record: Row, context: SourceContext): unknown;
  patch?(id: Key, changes: Row, context: SourceContext): unknown;
  delete?(id: Key, context: SourceContext): unknown;
  subscribe?(): AsyncIterable<SourceEvent> | Promise<AsyncIterable<SourceEvent>>;
}

export interface CacheOptions {
  /** Seconds a loaded record stays fresh (default: the table's `@table(expiration)`, else for ever). */
  expiration?: number;
  /** Seconds an expired record is kept, to be served stale, before eviction removes it (default 0). */
  eviction?: number;
}

/** The request's `Cache-Control` directives a cache honours. */
export interface CacheDirectives {
  noCache: boolean;
  onlyIfCached: boolean;
  mustRevalidate: boolean;
  /** Seconds, on a write: how long the written record stays fresh. */
  maxAge: number | undefined;
}

const NO_DIRECTIVES: CacheDirectives = { noCache: false, onlyIfCached: false, mustRevalidate: false, maxAge: undefined };

export function cacheDirectives(header: string | undefined): CacheDirectives {
  if (header === undefined || header === '') return NO_DIRECTIVES;
  const directives = { ...NO_DIRECTIVES };
  for (const part of header.toLowerCase().split(',')) {
    const [name = '', value] = part.trim().split('=');
    if (name === 'no-cache') directives.noCache = true;
    else if (name === 'only-if-cached') directives.onlyIfCached = true;
    else if (name === 'must-revalidate') directives.mustRevalidate = true;
    else if (name === 'max-age' && value !== undefined && /^\d+$/.test(value)) directives.maxAge = Number(value);
  }
  return directives;
}

/**
 * Loads records of one caching table from its source: one upstream call per id at a time, however
 * many requests miss together, and the result stored with its expiry.
 */
export class SourceCache {
  readonly source: CacheSource;
  readonly options: CacheOptions;
  readonly #table: StoredTable;
  readonly #loads = new Map<string, Promise<RecordEntry | undefined>>();
  #subscription: AsyncIterator<SourceEvent> | undefined;
  #stopped = false;

  constructor(table: StoredTable, source: CacheSource, options: CacheOptions) {
    this.#table = table;
    this.source = source;
    this.options = options;
  }

  /** Seconds to keep a loaded record fresh: the source's option, else the table's. */
  get expirationMs(): number | undefined {
    const seconds = this.options.expiration ?? this.#table.def.expiration;
    return seconds === undefined ? undefined : seconds * 1000;
  }

  get evictionMs(): number {
    return (this.options.eviction ?? 0) * 1000;
  }

  /** The record from the source (and now cached), or undefined when the source has none. */
  load(id: Key, stale: RecordEntry | undefined, requestContext: RequestContext | undefined): Promise<RecordEntry | undefined> {
    const key = `${typeof id}:${id}`;
    let loading = this.#loads.get(key);
    if (loading === undefined) {
      loading = this.#fetch(id, stale, requestContext).finally(() => this.#loads.delete(key));
      this.#loads.set(key, loading);
    }
    return loading;
  }

  async #fetch(id: Key, stale: RecordEntry | undefined, requestContext: RequestContext | undefined): Promise<RecordEntry | undefined> {
    const get = this.source.get;
    if (typeof get !== 'function') throw new LodeError('SOURCE_FAILED', `The source of ${this.#table.name} has no get()`);
    const context: SourceContext = { ...(requestContext && { requestContext }), ...(stale && { replacingRecord: stale.value, replacingVersion: stale.version }) };
    let value: unknown;
    try {
      value = await get.call(this.source, id, context);
    } catch (error) {
      throw new LodeError('SOURCE_FAILED', `Loading ${this.#table.name} ${JSON.stringify(id)} from its source failed: ${(error as Error).message ?? String(error)}`);
    }
    if (value === undefined || value === null) {
      if (stale) await this.#table.delete(id);
      return undefined;
    }
    if (context.noCacheStore) return { id, value: value as Row, version: 0 };
    try {
      return await this.#table.put(id, value, { expiresAt: context.expiresAt ?? this.#freshUntil() });
    } catch (error) {
      if (error instanceof LodeError && error.code === 'VALIDATION_FAILED') {
        throw new LodeError('SOURCE_FAILED', `The source of ${this.#table.name} returned a record that does not match the schema`, { errors: error.errors });
      }
      throw error;
    }
  }

  #freshUntil(): number | undefined {
    const ms = this.expirationMs;
    return ms === undefined ? undefined : Date.now() + ms;
  }

  /** Active caching: applies the source's pushed changes until `stop`. */
  follow(logger: Logger): void {
    const subscribe = this.source.subscribe;
    if (typeof subscribe !== 'function') return;
    void (async () => {
      try {
        const events = await subscribe.call(this.source);
        this.#subscription = events[Symbol.asyncIterator]();
        while (!this.#stopped) {
          const next = await this.#subscription.next();
          if (next.done) return;
          // One bad event (a record the schema refuses) must not end the subscription.
          await this.#apply(next.value).catch((error: unknown) => logger.error(`A change pushed by the source of ${this.#table.name} could not be applied`, error));
        }
      } catch (error) {
        if (!this.#stopped) logger.error(`The source subscription of ${this.#table.name} failed`, error);
      }
    })();
  }

  async #apply(event: SourceEvent): Promise<void> {
    if (event.type === 'put' && event.value !== undefined) await this.#table.put(event.id, event.value, { expiresAt: this.#freshUntil() });
    else if (event.type === 'delete') await this.#table.delete(event.id);
    else if (event.type === 'invalidate') await this.#table.invalidate(event.id);
  }

  stop(): void {
    this.#stopped = true;
    void this.#subscription?.return?.();
  }
}
