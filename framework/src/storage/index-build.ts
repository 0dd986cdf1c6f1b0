import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { DatabaseEnv, MetaKey } from './database-env.js';
import type { IndexHandle, IndexState } from './index-handle.js';
import { indexKeys } from './index-keys.js';
import { ownValue } from './keys.js';
import { valueOf, type RecordsDb } from './stored-record.js';
import type { Key } from './types.js';

export const INDEX_BUILD_CHUNK = 500;

export interface IndexBuild {
  env: DatabaseEnv;
  records: RecordsDb;
  handle: IndexHandle;
  metaKey: MetaKey;
  /** Checked between chunks: the storage is closing. */
  stopping: () => boolean;
  chunkSize?: number;
}

/**
 * Fills an index from the table's records in chunks, one transaction per chunk that also saves the
 * last key done in `meta`, so a build stopped at any point resumes where it was. Writes keep the
 * index current meanwhile (they maintain building indexes), and re-indexing a record is harmless
 * (dupSort ignores an existing key/value pair), so the build needs no coordination with them.
 */
export async function buildIndex(build: IndexBuild): Promise<void> {
  const { env, records, handle, metaKey } = build;
  const chunkSize = build.chunkSize ?? INDEX_BUILD_CHUNK;
  const attribute = handle.attribute;
  let lastKey = handle.state.lastKey;
  handle.running = true;
  try {
    while (!build.stopping() && !handle.cancelled) {
      const finished = await env.transaction(() => {
        if (handle.cancelled) return false;
        const chunk = Array.from(
          records.getRange(
            lastKey === undefined ? { limit: chunkSize } : { start: lastKey, exclusiveStart: true, limit: chunkSize },
          ),
        );
        for (const { key, value } of chunk) {
          for (const indexKey of indexKeys(ownValue(valueOf(value), attribute))) handle.db.putSync(indexKey, key);
          lastKey = key;
        }
        const done = chunk.length < chunkSize;
        const state: IndexState = done
          ? { dbi: handle.state.dbi, generation: handle.state.generation, status: 'ready' }
          : { dbi: handle.state.dbi, generation: handle.state.generation, status: 'building', lastKey: lastKey as Key };
        env.meta.putSync(metaKey, state);
        return done;
      });
      if (finished) {
        handle.markReady();
        return;
      }
      await yieldToEventLoop();
    }
  } finally {
    handle.running = false;
    handle.abandon();
  }
}
