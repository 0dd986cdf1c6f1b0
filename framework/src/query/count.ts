import type { Key, ReadableTable } from '../storage/index.js';
import type { Source } from './plan.js';
import { idSet, ids, isKey, type JoinKeys } from './sources.js';

/**
 * Counts a query whose conditions its indexes answer exactly, without reading a record: from LMDB's
 * counts for one equality or range, otherwise by intersecting id sets. Undefined when a set would
 * be too large to hold, so the caller counts rows instead.
 */
export function countFromIndexes(table: ReadableTable, source: Source, others: Source[], joins: JoinKeys): number | undefined {
  if (others.length === 0) {
    switch (source.kind) {
      case 'scan':
        return table.count();
      case 'primaryKey':
        return isKey(source.key) && table.get(source.key) ? 1 : 0;
      case 'index':
        return table.index(source.attribute).count(source.value);
      case 'indexRange': {
        const index = table.index(source.attribute);
        if (!index.list) return index.countRange(source.range);
        break;
      }
      default:
        break;
    }
  }
  const sets: Set<Key>[] = [];
  for (const other of others) {
    const set = idSet(table, other, joins);
    if (!set) return undefined;
    sets.push(set);
  }
  const candidates = ids(table, source, joins);
  if (!candidates) return undefined;
  let count = 0;
  for (const id of candidates) if (sets.every((set) => set.has(id))) count++;
  return count;
}
