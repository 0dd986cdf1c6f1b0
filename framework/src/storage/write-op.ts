import { LodeError } from '../errors/index.js';
import type { RecordRow } from './stored-record.js';
import type { ChangeEntry, Key } from './types.js';

export type Value = Record<string, unknown>;

/**
 * One write, validated and ready to commit. Patches and increments are merged onto the record as it
 * is when the commit runs, under the write lock, so concurrent ones never lose each other's changes.
 */
export type WriteOp =
  | { kind: 'put'; id: Key; value: Value; expiresAt?: number }
  /** `upsert`: a missing record is created from the changes (increments count from 0). */
  | { kind: 'patch'; id: Key; changes: Value; increments: ReadonlyMap<string, number> | undefined; upsert: boolean; expiresAt?: number }
  /** `generated`: the id was allocated by Lode, so finding it taken is a race to retry, not the client's conflict. */
  | { kind: 'create'; id: Key; value: Value; generated: boolean; expiresAt?: number }
  | { kind: 'delete'; id: Key }
  | { kind: 'message'; id: Key; message: unknown };

/** What a table does with a write inside the commit; implemented by the storage's tables. */
export interface WriteTarget {
  /** Checks the write against the current record (throwing to abort the commit) and computes what to store. */
  resolve(op: WriteOp, expectedVersion: number | undefined): ResolvedWrite | undefined;
  apply(write: ResolvedWrite): ChangeEntry;
}

export interface PlannedWrite {
  table: WriteTarget;
  op: WriteOp;
  /**
   * The record's version when the transaction first read or wrote it (0: absent); a different one at
   * commit means another writer got there first. Undefined for writes that commute (increments).
   */
  expectedVersion?: number;
}

/** A patch as peers merge it: what it set and added, and whether it may create the record. */
export interface PatchWrite {
  set: Value;
  add: Record<string, number> | undefined;
  upsert: boolean;
}

export type ResolvedWrite =
  | { kind: 'write'; key: Key; value: Value; old: RecordRow | undefined; expiresAt: number | undefined; patch?: PatchWrite }
  | { kind: 'delete'; key: Key; old: RecordRow }
  | { kind: 'message'; key: Key; message: unknown };

/** Adds increments to the numbers they apply to (a missing or non-numeric value counts as 0). */
export function withIncrements(value: Value, increments: ReadonlyMap<string, number> | undefined): Value {
  if (increments === undefined || increments.size === 0) return value;
  const result = { ...value };
  for (const [attribute, delta] of increments) {
    const current = Object.hasOwn(value, attribute) ? value[attribute] : undefined;
    result[attribute] = (typeof current === 'number' ? current : 0) + delta;
  }
  return result;
}

export function writeConflict(table: string, id: Key): LodeError {
  return new LodeError('WRITE_CONFLICT', `The ${table} record ${JSON.stringify(id)} was changed by another write while this transaction was writing it; retry`);
}
