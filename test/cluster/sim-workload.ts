import { isDeepStrictEqual } from 'node:util';
import { Transaction, type Stamp } from '../../framework/src/storage/index.js';
import type { SimNode } from './sim-node.js';
import type { SimRandom } from './sim-random.js';

type Value = Record<string, unknown>;

const ITEM_IDS = 8;
const COUNTER_IDS = 3;
const LOCAL_IDS = 3;
const COLORS = ['red', 'green', 'blue', 'amber'];

/** A write some node acknowledged: its stamp, and what it wrote (the whole record, or the attributes a patch set). */
export interface AckedWrite {
  node: string;
  table: 'Item' | 'Counter';
  id: number;
  op: 'put' | 'patch' | 'delete';
  stamp: Stamp;
  value?: Value;
}

export interface AckedMessage {
  node: string;
  seq: number;
  stamp: Stamp;
}

/** Everything the cluster acknowledged, which the final state must account for. */
export class Ledger {
  readonly writes: AckedWrite[] = [];
  /** Counter id → the sum of every acknowledged increment. */
  readonly increments = new Map<number, number>();
  readonly messages: AckedMessage[] = [];
  /** Node → what its `replicate: false` table must hold. */
  readonly local = new Map<string, Map<number, Value>>();
  /** Writes a node acknowledged and did not show in its own next read (a write silently older than what it held). */
  readonly unseen: string[] = [];
  ops = 0;

  /** Records an acknowledged write, and checks that the node that took it reads it back. */
  acknowledge(node: SimNode, write: AckedWrite): void {
    this.writes.push(write);
    const entry = node.table(write.table).get(write.id);
    const mismatch = write.op === 'delete'
      ? entry !== undefined
      : entry === undefined || entry.version !== write.stamp[0] || Object.entries(write.value ?? {}).some(([name, value]) => !isDeepStrictEqual(entry.value[name] ?? null, value ?? null));
    if (mismatch) this.unseen.push(`${node.name} acknowledged the ${write.op} of ${write.table} ${write.id} at ${JSON.stringify(write.stamp)}, then read ${JSON.stringify(entry)}`);
  }

  /** Records acknowledged increments, and checks that the node that took them reads the counters moved by them. */
  increment(node: SimNode, before: ReadonlyMap<number, number>, deltas: ReadonlyMap<number, number>): void {
    for (const [id, by] of deltas) {
      this.increments.set(id, (this.increments.get(id) ?? 0) + by);
      const n = node.table('Counter').get(id)?.value.n;
      if (n !== (before.get(id) ?? 0) + by) this.unseen.push(`${node.name} acknowledged adding ${by} to Counter ${id} at ${before.get(id) ?? 0}, then read ${String(n)}`);
    }
  }
}

/** The counters' values now, to check increments against. */
function countersNow(node: SimNode): Map<number, number> {
  const values = new Map<number, number>();
  for (const { id, value } of node.table('Counter').scan()) if (typeof id === 'number' && typeof value.n === 'number') values.set(id, value.n);
  return values;
}

const word = (random: SimRandom): string => random.pick(['ash', 'birch', 'cedar', 'elm', 'fir', 'oak', 'pine', 'yew']) + random.int(0, 99);

function itemValue(random: SimRandom): Value {
  const value: Value = { name: word(random) };
  if (random.chance(0.8)) value.color = random.pick(COLORS);
  if (random.chance(0.7)) value.size = random.int(0, 1000);
  return value;
}

/** Some of an item's attributes, now and then set to null. */
function itemPatch(random: SimRandom): Value {
  const patch: Value = {};
  while (Object.keys(patch).length === 0) {
    if (random.chance(0.5)) patch.name = word(random);
    if (random.chance(0.5)) patch.color = random.chance(0.15) ? null : random.pick(COLORS);
    if (random.chance(0.4)) patch.size = random.chance(0.15) ? null : random.int(0, 1000);
  }
  return patch;
}

const delta = (random: SimRandom): number => (random.chance(0.3) ? -random.int(1, 5) : random.int(1, 9));

/**
 * One random client operation on `node`, recorded in the ledger once the node acknowledged it;
 * `bursts`: now and then a run of many writes. Returns a line for the trace.
 */
export async function runOperation(node: SimNode, random: SimRandom, ledger: Ledger, bursts: boolean): Promise<string> {
  ledger.ops++;
  const origin = node.nodeId;
  const stamp = (version: number): Stamp => [version, origin];
  const kind = random.weighted({ put: 24, patch: 20, delete: 10, addTo: 20, label: 5, multi: 8, publish: 7, local: 6, burst: bursts ? 4 : 0 });
  const items = node.table('Item');
  const counters = node.table('Counter');
  switch (kind) {
    case 'put': {
      const id = random.int(1, ITEM_IDS);
      const entry = await items.put(id, itemValue(random));
      ledger.acknowledge(node, { node: node.name, table: 'Item', id, op: 'put', stamp: stamp(entry.version), value: entry.value });
      return `put Item ${id} v${entry.version}`;
    }
    case 'patch':
    case 'label': {
      const table = kind === 'patch' ? 'Item' : 'Counter';
      const id = random.int(1, kind === 'patch' ? ITEM_IDS : COUNTER_IDS);
      const set = kind === 'patch' ? itemPatch(random) : { label: word(random) };
      const entry = await node.table(table).patch(id, set);
      if (entry === undefined) return `patch ${table} ${id}: absent`;
      ledger.acknowledge(node, { node: node.name, table, id, op: 'patch', stamp: stamp(entry.version), value: set });
      return `patch ${table} ${id} ${JSON.stringify(set)} v${entry.version}`;
    }
    case 'delete': {
      const id = random.int(1, ITEM_IDS);
      const txn = new Transaction();
      txn.delete(items, id);
      const [change] = await txn.commit();
      if (change === undefined) return `delete Item ${id}: absent`;
      ledger.acknowledge(node, { node: node.name, table: 'Item', id, op: 'delete', stamp: stamp(change.version) });
      return `delete Item ${id} v${change.version}`;
    }
    case 'addTo': {
      const id = random.int(1, COUNTER_IDS);
      const by = delta(random);
      const before = countersNow(node);
      const txn = new Transaction();
      txn.increment(counters, id, 'n', by);
      await txn.commit();
      ledger.increment(node, before, new Map([[id, by]]));
      return `addTo Counter ${id} n ${by}`;
    }
    case 'multi':
      return runMulti(node, random, ledger);
    case 'burst': {
      // A client writing fast: a backlog of commits that peers receive in long runs of messages.
      const count = random.int(20, 70);
      for (let i = 0; i < count; i++) {
        const id = random.int(1, ITEM_IDS);
        const patched = await items.patch(id, { size: i });
        const entry = patched ?? (await items.put(id, itemValue(random)));
        const value = patched === undefined ? entry.value : { size: i };
        ledger.acknowledge(node, { node: node.name, table: 'Item', id, op: patched === undefined ? 'put' : 'patch', stamp: stamp(entry.version), value });
      }
      return `burst of ${count} writes to Item`;
    }
    case 'publish': {
      const id = random.int(1, ITEM_IDS);
      const change = await items.publish(id, { text: word(random) });
      ledger.messages.push({ node: node.name, seq: change.seq, stamp: stamp(change.version) });
      return `publish Item ${id} v${change.version}`;
    }
    case 'local': {
      const id = random.int(1, LOCAL_IDS);
      const own = ledger.local.get(node.name) ?? new Map<number, Value>();
      ledger.local.set(node.name, own);
      if (random.chance(0.25)) {
        await node.table('Local').delete(id);
        own.delete(id);
        return `delete Local ${id}`;
      }
      const entry = await node.table('Local').put(id, { name: `${node.name}-${ledger.ops}` });
      own.set(id, entry.value);
      return `put Local ${id}`;
    }
  }
}

/** Several writes to distinct records committed as one transaction (one commit in the log, applied whole by peers). */
async function runMulti(node: SimNode, random: SimRandom, ledger: Ledger): Promise<string> {
  const items = node.table('Item');
  const counters = node.table('Counter');
  const txn = new Transaction();
  const planned: Array<{ id: number; op: 'put' | 'patch' | 'delete'; value?: Value }> = [];
  const increments = new Map<number, number>();
  const ids = new Set<number>();
  for (let i = random.int(2, 4); i > 0; i--) {
    if (random.chance(0.3)) {
      const id = random.int(1, COUNTER_IDS);
      const by = delta(random);
      txn.increment(counters, id, 'n', by);
      increments.set(id, (increments.get(id) ?? 0) + by);
      continue;
    }
    const id = random.int(1, ITEM_IDS);
    if (ids.has(id)) continue;
    ids.add(id);
    const op = random.weighted({ put: 3, patch: 2, delete: 1 });
    if (op === 'put') planned.push({ id, op, value: txn.put(items, id, itemValue(random)) });
    else if (op === 'delete') planned.push({ id, op });
    else {
      const set = itemPatch(random);
      if (txn.patch(items, id, set)) planned.push({ id, op, value: set });
    }
    if (op === 'delete') txn.delete(items, id);
  }
  const before = countersNow(node);
  const changes = await txn.commit();
  ledger.increment(node, before, increments);
  for (const { id, op, value } of planned) {
    const change = changes.find((entry) => entry.table === 'Item' && entry.id === id);
    if (change === undefined) continue;
    const acked = op === 'put' ? (change.value as Value) : value;
    ledger.acknowledge(node, { node: node.name, table: 'Item', id, op, stamp: [change.version, change.origin], ...(acked !== undefined && { value: acked }) });
  }
  return `transaction of ${changes.length} writes: ${changes.map((change) => `${change.table} ${change.id} ${change.op} v${change.version}`).join(', ')}`;
}
