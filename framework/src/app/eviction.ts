import { setImmediate as nextTurn } from 'node:timers/promises';
import type { TableResource } from '../resources/index.js';

/** Records evicted per transaction: small enough that a sweep never holds the write lock for long. */
const CHUNK = 500;

/**
 * Removes expired records from every table that expires them (an `@table(expiration)` or a
 * source), a chunk per transaction with a turn of the event loop between chunks so requests keep
 * flowing. A caching table keeps expired records for its `eviction` grace, to serve them stale.
 */
export async function evictExpired(tables: Record<string, typeof TableResource>): Promise<number> {
  let total = 0;
  for (const resource of Object.values(tables)) {
    const caches = [...resource.caches];
    if (resource.table.def.expiration === undefined && caches.length === 0) continue;
    const grace = Math.max(0, ...caches.map((cache) => cache.evictionMs));
    for (;;) {
      const evicted = await resource.table.evictExpired(Date.now() - grace, CHUNK);
      total += evicted;
      if (evicted < CHUNK) break;
      await nextTurn();
    }
  }
  return total;
}
