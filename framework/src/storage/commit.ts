import type { DatabaseEnv } from './database-env.js';
import type { ChangeEntry } from './types.js';
import type { PlannedWrite, ResolvedWrite } from './write-op.js';

/**
 * Commits writes to one database as one LMDB transaction. Every write is resolved (checked and
 * merged) before any is stored, so a conflict aborts the commit before it has used a log sequence.
 */
export async function commitWrites(env: DatabaseEnv, writes: readonly PlannedWrite[], notify: { emitChanges(changes: ChangeEntry[]): void }): Promise<ChangeEntry[]> {
  if (writes.length === 0) return [];
  const changes = await env.transaction(() => {
    const resolved: Array<[PlannedWrite, ResolvedWrite]> = [];
    for (const write of writes) {
      const outcome = write.table.resolve(write.op, write.expectedVersion);
      if (outcome !== undefined) resolved.push([write, outcome]);
    }
    return env.asOneCommit(resolved.length, () => resolved.map(([write, outcome]) => write.table.apply(outcome)));
  });
  notify.emitChanges(changes);
  return changes;
}
