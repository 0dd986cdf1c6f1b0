import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { baseState, encodeVersions, mergeWrite, writesOf, type RecordState, type VersionedWrite } from '../../../framework/src/storage/version-state.js';
import { MemoryIncrements } from './memory-increments.js';

/** A record's state on one node, with its increments. */
interface Held {
  state: RecordState;
  increments: MemoryIncrements;
}

function mergeAll(writes: readonly VersionedWrite[], start?: Held): Held {
  const held = start ?? { state: { value: undefined, version: 0, versions: baseState([0, 0], true) }, increments: new MemoryIncrements() };
  for (const write of writes) held.state = mergeWrite(held.state, write, held.increments, 'id', 7) ?? held.state;
  return held;
}

function snapshot({ state, increments }: Held): unknown {
  return { value: state.value, version: state.version, versions: encodeVersions(state.versions), increments: increments.snapshot() };
}

function valueOf(writes: readonly VersionedWrite[]): Record<string, unknown> | undefined {
  return mergeAll(writes).state.value;
}

/** Mulberry32: small, seeded, good enough to shuffle. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomWrites(next: () => number, count: number): VersionedWrite[] {
  const writes: VersionedWrite[] = [];
  const used = new Set<string>();
  for (let i = 0; i < count; i++) {
    let version = 1 + Math.floor(next() * 12);
    const origin = 1 + Math.floor(next() * 3);
    while (used.has(`${version}:${origin}`)) version++;
    used.add(`${version}:${origin}`);
    const stamp = [version, origin] as const;
    const kind = next();
    const attribute = ['a', 'b', 'n'][Math.floor(next() * 3)]!;
    if (kind < 0.25) writes.push({ op: 'put', stamp, value: { id: 7, a: `put${i}`, n: i } });
    else if (kind < 0.35) writes.push({ op: 'delete', stamp });
    else if (kind < 0.55) writes.push({ op: 'patch', stamp, set: { [attribute]: `set${i}` } });
    else if (kind < 0.62) writes.push({ op: 'patch', stamp, set: { n: i }, add: { n: 10 } });
    else writes.push({ op: 'patch', stamp, set: {}, add: { n: 1 + Math.floor(next() * 5) }, upsert: next() < 0.5 });
  }
  return writes;
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe('version state: merging writes in any order', () => {
  test('every order, with duplicates, and every full copy reach the same record', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const next = random(seed);
      const writes = randomWrites(next, 2 + Math.floor(next() * 9));
      const expected = snapshot(mergeAll(writes));
      for (let round = 0; round < 6; round++) {
        const order = shuffled([...writes, ...writes.filter(() => next() < 0.3)], next);
        const merged = mergeAll(order);
        assert.deepEqual(snapshot(merged), expected, `seed ${seed}, order ${JSON.stringify(order)}`);
        // A node that got some of the writes, then a full copy of another node's state, agrees too.
        const split = Math.floor(next() * order.length);
        const source = mergeAll(order.slice(split));
        const copied = mergeAll(writesOf(source.state, source.increments), mergeAll(order.slice(0, split)));
        assert.deepEqual(snapshot(copied), expected, `seed ${seed}: copy after ${split} of ${JSON.stringify(order)}`);
      }
    }
  });

  test('a late patch does not undo a newer write to other attributes', () => {
    const put: VersionedWrite = { op: 'put', stamp: [10, 1], value: { id: 7, a: 'A', b: 'B' } };
    const patchA: VersionedWrite = { op: 'patch', stamp: [20, 2], set: { a: 'a2' } };
    const patchB: VersionedWrite = { op: 'patch', stamp: [15, 3], set: { b: 'b1' } };
    const inOrder = mergeAll([put, patchB, patchA]);
    const late = mergeAll([put, patchA, patchB]);
    assert.deepEqual(late.state.value, { id: 7, a: 'a2', b: 'b1' });
    assert.deepEqual(snapshot(late), snapshot(inOrder));
  });

  test('a put older than a patch keeps the patched attribute and replaces the rest', () => {
    const put: VersionedWrite = { op: 'put', stamp: [10, 1], value: { id: 7, a: 'A', b: 'B' } };
    const patch: VersionedWrite = { op: 'patch', stamp: [30, 2], set: { a: 'patched' } };
    const latePut: VersionedWrite = { op: 'put', stamp: [20, 3], value: { id: 7, a: 'new', b: 'new' } };
    assert.deepEqual(valueOf([put, patch, latePut]), { id: 7, a: 'patched', b: 'new' });
  });

  test('a delete beats an older put that arrives after it, and loses to a newer one', () => {
    const put: VersionedWrite = { op: 'put', stamp: [10, 1], value: { id: 7, a: 'A' } };
    const del: VersionedWrite = { op: 'delete', stamp: [20, 2] };
    assert.equal(valueOf([del, put]), undefined);
    const newer: VersionedWrite = { op: 'put', stamp: [30, 1], value: { id: 7, a: 'again' } };
    assert.deepEqual(valueOf([newer, del, put]), { id: 7, a: 'again' });
  });

  test('equal versions are ordered by origin node', () => {
    const fromOne: VersionedWrite = { op: 'put', stamp: [10, 1], value: { id: 7, a: 'one' } };
    const fromTwo: VersionedWrite = { op: 'put', stamp: [10, 2], value: { id: 7, a: 'two' } };
    assert.deepEqual(valueOf([fromTwo, fromOne]), { id: 7, a: 'two' });
    assert.deepEqual(valueOf([fromOne, fromTwo]), { id: 7, a: 'two' });
  });

  test('increments from every node count once, and a set keeps only the increments after it', () => {
    const increments: VersionedWrite[] = [1, 2, 3, 4].map((origin) => ({ op: 'patch', stamp: [10 + origin, origin], set: {}, add: { n: origin }, upsert: true }));
    const summed = mergeAll([...increments, ...increments]);
    assert.deepEqual(summed.state.value, { id: 7, n: 10 });
    const set: VersionedWrite = { op: 'patch', stamp: [12, 9], set: { n: 100 } };
    // Increments at 13 and 14 (3 + 4) came after the set; 11 and 12 were overwritten by it.
    assert.equal(valueOf([...increments, set])?.n, 107);
    assert.equal(valueOf([set, ...increments])?.n, 107);
  });

  test('an increment may create the record, even after an older delete; a plain patch may not', () => {
    const del: VersionedWrite = { op: 'delete', stamp: [5, 1] };
    assert.equal(valueOf([del, { op: 'patch', stamp: [9, 2], set: { a: 'x' } }]), undefined);
    assert.deepEqual(valueOf([del, { op: 'patch', stamp: [9, 2], set: {}, add: { n: 2 }, upsert: true }]), { id: 7, n: 2 });
    assert.equal(valueOf([{ op: 'patch', stamp: [3, 2], set: {}, add: { n: 2 }, upsert: true }, del]), undefined);
  });
});
