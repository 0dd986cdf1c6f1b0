import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfig, replicationSettings } from '../../../framework/src/app/index.js';
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

test('docs/replication.md: the config example parses to the replication it describes', () => {
  const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(yaml, 'the yaml example was found');
  const settings = replicationSettings(parseConfig(yaml).replication, {}, {});
  assert.ok(settings);
  assert.equal(settings.port, 9933);
  assert.equal(settings.options.hostname, 'node-a');
  assert.equal(settings.options.secret, 'change-me');
  assert.deepEqual(settings.options.routes, [{ url: 'ws://10.0.0.2:9933' }, { url: 'ws://10.0.0.3:9933', startTime: Date.parse('2026-01-01T00:00:00Z') }]);
  assert.equal(settings.options.databases, '*');
  const flags = /```sh\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  for (const flag of ['--replication-port', '--replication-hostname', '--route', 'LODE_CLUSTER_SECRET']) assert.ok(flags.includes(flag), `${flag} is in the example`);
});
