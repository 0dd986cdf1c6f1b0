import { LodeError } from '../errors/index.js';
import type { Key, RecordEntry, StoredTable } from '../storage/index.js';
import { versionTime, type Logger } from '../util/index.js';
import type { RequestContext } from './context.js';
import type { RequestTarget } from './resource.js';
import { cacheDirectives, type SourceCache } from './source-cache.js';
import { transactionOf } from './transaction-scope.js';

type Row = Record<string, unknown>;

/** A cached record as `allowStaleWhileRevalidate` sees it. */
export interface CachedEntry extends RecordEntry {
  /** When it expired, or was invalidated (ms since the epoch). */
  expiresAt: number | undefined;
}

/** What a cached read needs of its table resource class. */
export interface CachingResource {
  readonly table: StoredTable;
  readonly cache: SourceCache | undefined;
  readonly logger: Logger;
  allowStaleWhileRevalidate(entry: CachedEntry, id: Key): boolean;
}

/**
 * Tells the client where the answer came from: RFC 9211 `Cache-Status`, `Age` for cached copies,
 * and Harper's `target.loadedFromSource`.
 */
function disclose(context: RequestContext | undefined, target: RequestTarget | undefined, status: string, entry: RecordEntry | undefined, loaded: boolean): void {
  if (target) target.loadedFromSource = loaded;
  if (!context) return;
  context.responseHeaders['Cache-Status'] = `lode; ${status}`;
  if (entry !== undefined && entry.version !== 0) {
    context.record = { value: entry.value, version: entry.version };
    context.responseHeaders.Age = String(loaded ? 0 : Math.max(0, Math.floor((Date.now() - versionTime(entry.version)) / 1000)));
  }
}

/**
 * A read of a table with an expiration or a source. An expired record of a table without a source
 * is gone. With a source, a fresh record is a hit; a missing, invalidated or expired one is loaded
 * (one upstream call however many ask), and a stale copy is served while it reloads, or when the
 * source fails. The request's `Cache-Control` can demand a reload (`no-cache`), forbid serving stale
 * (`must-revalidate`) or forbid loading (`only-if-cached`).
 */
export function readCached(resource: CachingResource, id: Key, context: RequestContext | undefined, target: RequestTarget | undefined): Row | undefined | Promise<Row | undefined> {
  const { table, cache } = resource;
  const txn = transactionOf(context);
  const entry = txn ? txn.get(table, id) : table.get(id);
  const expiresAt = entry && table.expiresAt(id);
  const fresh = entry !== undefined && (expiresAt === undefined || expiresAt > Date.now());
  if (cache === undefined) {
    if (!fresh) return undefined;
    if (context && entry.version !== 0) context.record = { value: entry.value, version: entry.version };
    return entry.value;
  }
  const directives = cacheDirectives(context?.headers.get('cache-control'));
  if (fresh && !directives.noCache) {
    disclose(context, target, 'hit', entry, false);
    return entry.value;
  }
  if (directives.onlyIfCached) {
    if (entry === undefined) throw new LodeError('NOT_CACHED', `${table.name} ${JSON.stringify(id)} is not cached`);
    disclose(context, target, 'hit; detail=stale', entry, false);
    return entry.value;
  }
  const loading = cache.load(id, entry, context);
  if (entry !== undefined && !directives.noCache && !directives.mustRevalidate && resource.allowStaleWhileRevalidate({ ...entry, expiresAt }, id)) {
    loading.catch((error: unknown) => resource.logger.warn(`Refreshing ${table.name} ${JSON.stringify(id)} in the background failed: ${(error as Error).message}`));
    disclose(context, target, 'hit; fwd=stale; detail=revalidating', entry, false);
    return entry.value;
  }
  const forward = directives.noCache ? 'request' : entry === undefined ? 'miss' : 'stale';
  return loading.then(
    (loaded) => {
      disclose(context, target, `fwd=${forward}${loaded && loaded.version !== 0 ? '; stored' : ''}`, loaded, true);
      return loaded?.value;
    },
    (error: unknown) => {
      if (entry === undefined || directives.mustRevalidate) throw error;
      resource.logger.warn(`Serving a stale ${table.name} ${JSON.stringify(id)}: ${(error as Error).message}`);
      if (context) context.responseHeaders.Warning = '111 - "Revalidation Failed"';
      disclose(context, target, 'hit; fwd=stale; detail=source-failed', entry, false);
      return entry.value;
    },
  );
}
