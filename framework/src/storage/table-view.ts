import type { TableDef } from '../schema/index.js';
import type { IndexStatus, Key, ReadableTable, RecordEntry, ScanOptions, TableIndex } from './types.js';

/**
 * A table read in some other way (at a snapshot, with pending writes laid over): what stays the
 * table's own (its name, definition, keys, index states) answers from the table underneath.
 */
export abstract class TableView<T extends ReadableTable = ReadableTable> implements ReadableTable {
  protected readonly table: T;

  constructor(table: T) {
    this.table = table;
  }

  get name(): string {
    return this.table.name;
  }

  get def(): TableDef {
    return this.table.def;
  }

  coerceKey(raw: string): Key {
    return this.table.coerceKey(raw);
  }

  indexStatus(attribute: string): IndexStatus {
    return this.table.indexStatus(attribute);
  }

  abstract get(id: Key): RecordEntry | undefined;
  abstract scan(options?: ScanOptions): Iterable<RecordEntry>;
  abstract index(attribute: string): TableIndex;
  abstract relatedTable(name: string): ReadableTable | undefined;
  abstract count(): number;
}
