export { Storage } from './storage.js';
export { DatabaseReplica, type CopiedRecord, type CopyPhase, type CopyProgress, type LogBytes, type ReplicatedCommit } from './database-replica.js';
export { decodeLogEntry, logHeader, type LogHeader, type LogRecord } from './log-entry.js';
export { isAfter, type Stamp, type VersionedWrite } from './version-state.js';
export { SystemStore } from './system-store.js';
export { Transaction } from './transaction.js';
export type {
  ChangeEntry,
  IndexRange,
  IndexStatus,
  Key,
  ReadableTable,
  RecordEntry,
  ScanOptions,
  SchemaChanges,
  StorageOptions,
  StoredTable,
  TableIndex,
  WriteOptions,
} from './types.js';
export { validateRecord, type ValidationMode } from './validate.js';
export { hasRangeableIndexKeys } from './keys.js';
