import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { baseState, mergeWrite, type RecordState, type VersionedWrite } from '../../../framework/src/storage/version-state.js';
import { MemoryIncrements } from '../storage/memory-increments.js';

const doc = readFileSync(new URL('../../../docs/replication.md', import.meta.url), 'utf8');

/** The rows of the conflict table: `| writes | every node ends with |`. */
function examples(): Array<{ row: string; writes: VersionedWrite[]; result: Record<string, unknown> | undefined }> {
  const table = doc.slice(doc.indexOf('| writes | every node ends with |'));
  const rows = table.split('\n').slice(2).filter((line) => line.startsWith('| `'));
  return rows.map((row) => {
    const [writesCell, resultCell] = row.split('|').slice(1, 3).map((cell) => cell.trim());
    const writes = [...writesCell!.matchAll(/`(put|patch|add|delete)(?: (\{[^`]*\}))? @ (\d+)\/(\d+)`/g)].map(([, op, json, version, node]): VersionedWrite => {
      const stamp = [Number(version), Number(node)] as const;
      const body = json === undefined ? {} : (JSON.parse(json) as Record<string, unknown>);
      if (op === 'put') return { op: 'put', stamp, value: { id: 1, ...body } };
      if (op === 'delete') return { op: 'delete', stamp };
      if (op === 'add') return { op: 'patch', stamp, set: {}, add: body as Record<string, number>, upsert: true };
      return { op: 'patch', stamp, set: body };
    });
    const result = resultCell === 'deleted' ? undefined : (JSON.parse(resultCell!.replaceAll('`', '')) as Record<string, unknown>);
    return { row, writes, result };
  });
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

test('docs/replication.md: every conflict example gives its result in every arrival order', () => {
  const rows = examples();
  assert.ok(rows.length >= 8, 'the table was found');
  for (const { row, writes, result } of rows) {
    assert.ok(writes.length >= 2, `the writes of ${row} were read`);
    for (const order of permutations(writes)) {
      const start: RecordState = { value: undefined, version: 0, versions: baseState([0, 0], true) };
      const increments = new MemoryIncrements();
      const merged = order.reduce((state, write) => mergeWrite(state, write, increments, 'id', 1) ?? state, start);
      const value = merged.value === undefined ? undefined : Object.fromEntries(Object.entries(merged.value).filter(([key]) => key !== 'id'));
      assert.deepEqual(value, result, `${row} in the order ${JSON.stringify(order)}`);
    }
  }
});
