import { isDeepStrictEqual } from 'node:util';
import { isAfter, type Stamp } from '../../framework/src/storage/index.js';
import { recordStateOf } from '../../framework/src/storage/record-writer.js';
import { readRecord } from '../../framework/src/storage/stored-record.js';
import { Table } from '../../framework/src/storage/stored-table.js';
import { encodeVersions, type RecordState } from '../../framework/src/storage/version-state.js';
import { expectedIndex, indexContents } from '../unit/storage/helpers.js';
import type { SimNode } from './sim-node.js';
import type { AckedWrite, Ledger } from './sim-workload.js';

const REPLICATED = ['Item', 'Counter'] as const;

interface Held {
  value: Record<string, unknown> | undefined;
  version: number | undefined;
  state: RecordState;
  /** The record's increments since each counter was last set: [attribute, version, origin, delta]. */
  increments: unknown[];
}

const notBefore = (a: Stamp, b: Stamp): boolean => !isAfter(b, a);
const show = (value: unknown): string => JSON.stringify(value, (_key, inner: unknown) => (inner instanceof Map ? Object.fromEntries(inner) : inner));

/** Every id a table knows anything about (record, tombstone or version state), with what is held for it. */
function holdings(node: SimNode, name: string): Map<number, Held> {
  const table = node.table(name);
  if (!(table instanceof Table)) throw new Error(`${name} is not a storage table`);
  const { records, tombstones, versions } = table.stores;
  const ids = new Set<number>();
  for (const db of [records, tombstones, versions]) for (const key of db.getKeys()) if (typeof key === 'number') ids.add(key);
  const held = new Map<number, Held>();
  for (const id of [...ids].sort((a, b) => a - b)) {
    const row = readRecord(records, id, node.nodeId);
    const state = recordStateOf(table.stores, id, row, node.nodeId);
    const increments = [...table.stores.increments.getRange({ start: [id], end: [id + 1] })].map(({ key, value }) => [...key.slice(1), value]);
    held.set(id, { value: row?.value, version: row?.version, state, increments });
  }
  return held;
}

function describeHeld(held: Held | undefined): string {
  if (held === undefined) return 'nothing';
  return `${show(held.value)} v${held.version} state ${show(encodeVersions(held.state.versions))} increments ${show(held.increments)}`;
}

/** 1. Every node holds the same records, versions and merge states. */
function sameEverywhere(nodes: readonly SimNode[], problems: string[]): void {
  const [first, ...others] = nodes;
  for (const name of REPLICATED) {
    const reference = holdings(first!, name);
    for (const node of others) {
      const held = holdings(node, name);
      for (const id of new Set([...reference.keys(), ...held.keys()])) {
        const a = reference.get(id);
        const b = held.get(id);
        const same = a !== undefined && b !== undefined && isDeepStrictEqual(a.value, b.value) && a.version === b.version
          && isDeepStrictEqual(encodeVersions(a.state.versions), encodeVersions(b.state.versions)) && isDeepStrictEqual(a.increments, b.increments);
        if (!same) problems.push(`${name} ${id} differs: ${first!.name} has ${describeHeld(a)}, ${node.name} has ${describeHeld(b)}`);
      }
    }
  }
}

/** 2. Each acknowledged write is in the final record, or a write after it in the total order replaced it. */
function writeAccountedFor(write: AckedWrite, held: Held | undefined): string | undefined {
  const what = `${write.op} of ${write.table} ${write.id} at ${show(write.stamp)} on ${write.node}`;
  if (held === undefined) return `${what} left no trace`;
  const { base, deleted, attrs, upsert } = held.state.versions;
  const exists = held.value !== undefined;
  if (write.op === 'delete') {
    if (!notBefore(base, write.stamp)) return `${what} was lost: the base is ${show(base)}`;
    const undone = isDeepStrictEqual(base, write.stamp) && (!deleted || (exists && (upsert === undefined || !isAfter(upsert, base))));
    return undone ? `${what} is the base, yet the record exists: ${describeHeld(held)}` : undefined;
  }
  if (isAfter(base, write.stamp)) return undefined;
  const written = write.value ?? {};
  if (write.op === 'put' && !isDeepStrictEqual(base, write.stamp)) return `${what} was lost: the base is ${show(base)}`;
  if (write.op === 'put' && !exists) return `${what} is the base, yet the record is absent`;
  if (write.op === 'put') {
    const stray = Object.keys(held.value!).filter((attribute) => !Object.hasOwn(written, attribute) && !attrs.has(attribute));
    if (stray.length > 0) return `${what} is the base, yet the record has ${stray.join(', ')} from elsewhere: ${describeHeld(held)}`;
  }
  for (const [attribute, value] of Object.entries(written)) {
    if (attribute === 'id') continue;
    const set = attrs.get(attribute);
    if (set !== undefined && isAfter(set.stamp, write.stamp)) continue;
    if (write.op === 'patch' && (set === undefined || !isDeepStrictEqual(set.stamp, write.stamp))) return `${what} was lost for ${attribute}: ${describeHeld(held)}`;
    if (exists && !isDeepStrictEqual(held.value![attribute] ?? null, value ?? null)) {
      return `${what} should have left ${attribute} = ${show(value)}: ${describeHeld(held)}`;
    }
  }
  return undefined;
}

/** `from>to` → the log position of the newest full copy `to` took of `from`: a message `from` published after it must arrive exactly once. */
export type CopyStarts = ReadonlyMap<string, number>;

/**
 * The invariants that must hold once the cluster has healed and converged. Returns what is wrong
 * (empty when all is well).
 */
export function checkInvariants(nodes: readonly SimNode[], ledger: Ledger, copyStarts: CopyStarts): string[] {
  const problems = [...ledger.unseen];
  for (const node of nodes) for (const error of node.errors) problems.push(`${node.name} logged an error: ${error}`);
  sameEverywhere(nodes, problems);
  for (const node of nodes) {
    for (const name of REPLICATED) {
      const held = holdings(node, name);
      for (const write of ledger.writes.filter((acked) => acked.table === name)) {
        const problem = writeAccountedFor(write, held.get(write.id));
        if (problem !== undefined) problems.push(`on ${node.name}: ${problem}`);
      }
    }
    // 3. Counters: every increment made anywhere counted exactly once.
    const counters = holdings(node, 'Counter');
    for (const [id, sum] of ledger.increments) {
      const n = counters.get(id)?.value?.n;
      if (n !== sum) problems.push(`on ${node.name}: Counter ${id} has n = ${show(n)}, the increments add up to ${sum}`);
    }
    // 4. A table that does not replicate holds exactly this node's own writes.
    const local = new Map([...node.table('Local').scan()].map(({ id, value }) => [id, value]));
    const expected = ledger.local.get(node.name) ?? new Map();
    if (!isDeepStrictEqual(local, expected)) problems.push(`on ${node.name}: Local holds ${show(local)}, its own writes were ${show(expected)}`);
    // Published messages arrive at most once, and exactly once unless a full copy skipped past them.
    for (const message of ledger.messages) {
      if (message.node === node.name) continue;
      const count = node.deliveries.get(`${message.stamp[0]}:${message.stamp[1]}`) ?? 0;
      const skipped = message.seq <= (copyStarts.get(`${message.node}>${node.name}`) ?? 0);
      if (count > 1 || (count === 0 && !skipped)) problems.push(`on ${node.name}: the message ${message.node} published at seq ${message.seq} arrived ${count} times`);
    }
    const expectedColors = expectedIndex(node.table('Item'), 'color');
    if (!isDeepStrictEqual(indexContents(node.table('Item'), 'color'), expectedColors)) problems.push(`on ${node.name}: the Item.color index does not match the records`);
  }
  return problems;
}

/** The pairs still behind: `to` has not applied `from`'s log to its end (or is in the middle of a copy). */
export function laggards(nodes: readonly SimNode[], firstOnly = false): string[] {
  const behind: string[] = [];
  for (const from of nodes) {
    const source = from.storage?.replica('data');
    if (source === undefined) return [`${from.name} is down`];
    const last = source.bounds.last;
    for (const to of nodes) {
      if (to === from) continue;
      const target = to.storage?.replica('data');
      if (target === undefined) return [`${to.name} is down`];
      const cursor = target.cursors(from.nodeId).get(from.nodeId);
      const copying = target.copyProgress(from.nodeId) !== undefined;
      if (cursor === last && !copying) continue;
      behind.push(`${to.name} has ${from.name}'s log to ${cursor ?? 'nothing'} of ${last}${copying ? ' (copying)' : ''}`);
      if (firstOnly) return behind;
    }
  }
  return behind;
}

/** Whether every node has applied everything every other node's log holds of its own writes. */
export function converged(nodes: readonly SimNode[]): boolean {
  return laggards(nodes, true).length === 0;
}
