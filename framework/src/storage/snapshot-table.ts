import type { Transaction as LmdbTransaction } from 'lmdb';
import type { Table } from './stored-table.js';
import { TableView } from './table-view.js';
import type { Key, ReadableTable, RecordEntry, ScanOptions, TableIndex } from './types.js';

/** Where a snapshot-bound table gets its read transaction, and the views of related tables. */
export interface SnapshotSource {
  /** The LMDB read transaction to read at; undefined once the storage transaction has ended. */
  snapshot(table: Table): LmdbTransaction | undefined;
  view(table: ReadableTable): ReadableTable;
}

/**
 * A table read as of one LMDB read transaction, so every read of a storage transaction, across
 * awaits, sees the same committed state. After the transaction ends (a streamed response still
 * being read, say) reads fall back to the latest data instead of failing.
 */
export class SnapshotTable extends TableView<Table> {
  readonly #source: SnapshotSource;
  readonly #snapshot = (): LmdbTransaction | undefined => this.#source.snapshot(this.table);

  constructor(table: Table, source: SnapshotSource) {
    super(table);
    this.#source = source;
  }

  /** The stored table read here. */
  get stored(): Table {
    return this.table;
  }

  get(id: Key): RecordEntry | undefined {
    return this.table.get(id, this.#snapshot());
  }

  scan(options?: ScanOptions): Iterable<RecordEntry> {
    return this.table.scan(options, this.#snapshot());
  }

  index(attribute: string): TableIndex {
    return this.table.index(attribute, this.#snapshot);
  }

  relatedTable(name: string): ReadableTable | undefined {
    const related = this.table.relatedTable(name);
    return related && this.#source.view(related);
  }

  /** From the table's statistics, which LMDB keeps for the latest data only. */
  count(): number {
    return this.table.count();
  }
}
