import type { RangeIterable, RangeOptions } from 'lmdb';
import type { IndexKey } from './index-keys.js';
import type { Key } from './types.js';

/** The slice of a dupSort DBI (index key → primary keys) that indexes use, typed for index keys. */
export interface IndexDb {
  putSync(key: IndexKey, id: Key): void;
  removeSync(key: IndexKey, id: Key): boolean;
  getValues(key: IndexKey, options?: RangeOptions): Iterable<Key>;
  getRange(options?: RangeOptions): RangeIterable<{ key: IndexKey; value: Key }>;
  getKeys(options?: RangeOptions): RangeIterable<IndexKey>;
  getValuesCount(key: IndexKey, options?: RangeOptions): number;
  getCount(options?: RangeOptions): number;
  getStats(): { entryCount: number };
}

/** How an index's state is kept in `meta` under `['index', table, attribute]`. */
export interface IndexState {
  /** DBI holding the entries; a new generation (new DBI) is used when a retired index is added again. */
  dbi: string;
  generation: number;
  status: 'building' | 'ready' | 'retired';
  /** Last primary key a background build has indexed (exclusive resume point). */
  lastKey?: Key;
}

/** A live secondary index of a table: maintained by every write while building or ready. */
export class IndexHandle {
  readonly attribute: string;
  readonly db: IndexDb;
  readonly state: IndexState;
  status: 'building' | 'ready';
  /** Set when the schema drops the index, so a running build stops writing progress. */
  cancelled = false;
  /** A background build is filling it right now. */
  running = false;
  readonly settled: Promise<void>;
  #settle!: () => void;

  constructor(attribute: string, db: IndexDb, state: IndexState) {
    this.attribute = attribute;
    this.db = db;
    this.state = state;
    this.status = state.status === 'ready' ? 'ready' : 'building';
    this.settled = new Promise((resolve) => (this.#settle = resolve));
    if (this.status === 'ready') this.#settle();
  }

  markReady(): void {
    this.status = 'ready';
    this.#settle();
  }

  /** The build stopped without finishing (closing, cancelled or failed): waiters must not hang. */
  abandon(): void {
    this.#settle();
  }
}
