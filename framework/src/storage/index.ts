export { Storage } from './storage.js';
export type {
  ChangeEntry,
  IndexRange,
  IndexStatus,
  Key,
  RecordEntry,
  ScanOptions,
  SchemaChanges,
  StorageOptions,
  StoredTable,
  TableIndex,
} from './types.js';
export { validateRecord, type ValidationMode } from './validate.js';
export { hasRangeableIndexKeys } from './keys.js';
