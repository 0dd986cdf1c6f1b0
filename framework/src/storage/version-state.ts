import type { Key } from './types.js';
import type { Value } from './write-op.js';

/**
 * A write's place in the total order every node agrees on: its HLC version, then its origin node
 * id. No two writes share a stamp, so a stamp seen twice is the same write delivered twice.
 */
export type Stamp = readonly [version: number, origin: number];

export const NO_STAMP: Stamp = [0, 0];

export function isAfter(a: Stamp, b: Stamp): boolean {
  return a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

export interface AttributeSet {
  stamp: Stamp;
  /** Undefined: the attribute is absent (a delete or a put without it set it so). */
  value: unknown;
}

export interface Increment {
  stamp: Stamp;
  delta: number;
}

/**
 * What a record id holds beyond its current value so that writes merge to the same result in any
 * order (a last-writer-wins map): the last whole-record write, the attributes patches set after
 * it, and the increments made after each attribute was last set. Increments are kept one by one
 * because a set that arrives late must keep exactly those made after it.
 */
export interface VersionState {
  /** The last put or delete; `NO_STAMP` when there was none. */
  base: Stamp;
  /** The base is a delete, or there is no base: only an upsert newer than it makes the record exist. */
  deleted: boolean;
  /** Attributes set after the base (never older than it). Every attribute with increments has one. */
  attrs: Map<string, AttributeSet>;
  /** Increments no older than their attribute's set, oldest first. */
  adds: Map<string, Increment[]>;
  /** The newest patch that may create the record (an `addTo`, an upsert). */
  upsert: Stamp | undefined;
}

export interface RecordState {
  /** The record as readers see it; undefined while it does not exist. */
  value: Value | undefined;
  versions: VersionState;
}

export type VersionedWrite =
  | { op: 'put'; stamp: Stamp; value: Value }
  | { op: 'delete'; stamp: Stamp }
  | { op: 'patch'; stamp: Stamp; set: Value; add?: Readonly<Record<string, number>> | undefined; upsert?: boolean | undefined };

export function baseState(base: Stamp, deleted: boolean): VersionState {
  return { base, deleted, attrs: new Map(), adds: new Map(), upsert: undefined };
}

/** Only a base: nothing to keep beyond the record's version and origin. */
export function isPlainState(versions: VersionState): boolean {
  return versions.attrs.size === 0 && versions.adds.size === 0 && versions.upsert === undefined;
}

/** The newest version anything in the state carries: a new local write must be above it. */
export function newestVersion(versions: VersionState): number {
  let newest = versions.base[0];
  for (const { stamp } of versions.attrs.values()) newest = Math.max(newest, stamp[0]);
  for (const increments of versions.adds.values()) for (const { stamp } of increments) newest = Math.max(newest, stamp[0]);
  return Math.max(newest, versions.upsert?.[0] ?? 0);
}

/**
 * Merges one write into a record's state; undefined when the write changes nothing (it is older
 * than what replaced it, or a duplicate). Merging is commutative, associative and idempotent, so
 * every node that has merged the same writes holds the same record.
 */
export function mergeWrite(current: RecordState, write: VersionedWrite, primaryKey: string, id: Key): RecordState | undefined {
  const { versions } = current;
  if (!isAfter(write.stamp, versions.base)) return undefined;
  const next = write.op === 'patch' ? mergePatch(current, write) : mergeBase(current, write);
  if (next === undefined) return undefined;
  return { value: materialize(next.base, next.versions, primaryKey, id), versions: next.versions };
}

interface Merged {
  /** The base record's own attributes (those no set has replaced). */
  base: Value;
  versions: VersionState;
}

/** The base record's attributes that are still its own: the current value without what patches set. */
function baseValueOf(current: RecordState): Value {
  const { value, versions } = current;
  if (versions.deleted || value === undefined) return {};
  if (versions.attrs.size === 0) return value;
  const own: Value = {};
  for (const key of Object.keys(value)) if (!versions.attrs.has(key)) own[key] = value[key];
  return own;
}

function mergeBase(current: RecordState, write: VersionedWrite & { op: 'put' | 'delete' }): Merged {
  const stamp = write.stamp;
  const base = write.op === 'put' ? write.value : {};
  const old = current.versions;
  const versions = baseState(stamp, write.op === 'delete');
  for (const [name, set] of old.attrs) if (isAfter(set.stamp, stamp)) versions.attrs.set(name, set);
  for (const [name, increments] of old.adds) {
    const kept = increments.filter((increment) => isAfter(increment.stamp, stamp));
    if (kept.length === 0) continue;
    versions.adds.set(name, kept);
    // The base now holds the value those increments add to.
    if (!versions.attrs.has(name)) versions.attrs.set(name, { stamp, value: base[name] });
  }
  if (old.upsert !== undefined && isAfter(old.upsert, stamp)) versions.upsert = old.upsert;
  return { base, versions };
}

function mergePatch(current: RecordState, write: VersionedWrite & { op: 'patch' }): Merged | undefined {
  const old = current.versions;
  const stamp = write.stamp;
  const base = baseValueOf(current);
  const attrs = new Map(old.attrs);
  const adds = new Map(old.adds);
  let changed = false;
  for (const name of Object.keys(write.set)) {
    const previous = attrs.get(name);
    if (previous !== undefined && !isAfter(stamp, previous.stamp)) continue;
    attrs.set(name, { stamp, value: write.set[name] });
    const kept = adds.get(name)?.filter((increment) => !isAfter(stamp, increment.stamp));
    if (kept === undefined || kept.length === 0) adds.delete(name);
    else adds.set(name, kept);
    changed = true;
  }
  for (const [name, delta] of Object.entries(write.add ?? {})) {
    const set = attrs.get(name);
    // A set after this increment replaced it; the same stamp is this very patch setting then adding.
    if (set !== undefined && isAfter(set.stamp, stamp)) continue;
    const increments = adds.get(name) ?? [];
    if (increments.some((increment) => sameStamp(increment.stamp, stamp))) continue;
    adds.set(name, [...increments, { stamp, delta }].sort((a, b) => (isAfter(a.stamp, b.stamp) ? 1 : -1)));
    if (set === undefined) attrs.set(name, { stamp: old.base, value: base[name] });
    changed = true;
  }
  let upsert = old.upsert;
  if (write.upsert && (upsert === undefined || isAfter(stamp, upsert))) {
    upsert = stamp;
    changed = true;
  }
  if (!changed) return undefined;
  return { base, versions: { base: old.base, deleted: old.deleted, attrs, adds, upsert } };
}

/** The record the state stands for: the base, the attributes set since, their increments added. */
function materialize(base: Value, versions: VersionState, primaryKey: string, id: Key): Value | undefined {
  if (versions.deleted && (versions.upsert === undefined || !isAfter(versions.upsert, versions.base))) return undefined;
  if (isPlainState(versions)) return base;
  const value: Value = { ...base };
  for (const [name, set] of versions.attrs) {
    if (set.value === undefined) delete value[name];
    else value[name] = set.value;
  }
  for (const [name, increments] of versions.adds) {
    const start = value[name];
    value[name] = increments.reduce((sum, increment) => sum + increment.delta, typeof start === 'number' ? start : 0);
  }
  value[primaryKey] = id;
  return value;
}

/** The state as stored next to the record: compact, and absent when it is only a local base. */
export interface StoredVersions {
  /** The base's stamp. */
  b: [number, number];
  d?: 1;
  a?: Record<string, [number, number, unknown]>;
  i?: Record<string, Array<[number, number, number]>>;
  u?: [number, number];
}

export function encodeVersions(versions: VersionState): StoredVersions {
  const stored: StoredVersions = { b: [versions.base[0], versions.base[1]] };
  if (versions.deleted) stored.d = 1;
  if (versions.attrs.size > 0) {
    stored.a = Object.create(null) as Record<string, [number, number, unknown]>;
    for (const [name, { stamp, value }] of versions.attrs) stored.a[name] = [stamp[0], stamp[1], value];
  }
  if (versions.adds.size > 0) {
    stored.i = Object.create(null) as Record<string, Array<[number, number, number]>>;
    for (const [name, increments] of versions.adds) stored.i[name] = increments.map(({ stamp, delta }) => [stamp[0], stamp[1], delta]);
  }
  if (versions.upsert !== undefined) stored.u = [versions.upsert[0], versions.upsert[1]];
  return stored;
}

export function decodeVersions(stored: StoredVersions): VersionState {
  const versions = baseState([stored.b[0], stored.b[1]], stored.d === 1);
  for (const [name, [version, origin, value]] of Object.entries(stored.a ?? {})) versions.attrs.set(name, { stamp: [version, origin], value });
  for (const [name, increments] of Object.entries(stored.i ?? {})) {
    versions.adds.set(name, increments.map(([version, origin, delta]) => ({ stamp: [version, origin], delta })));
  }
  if (stored.u !== undefined) versions.upsert = [stored.u[0], stored.u[1]];
  return versions;
}

/**
 * The writes that rebuild a state on another node (a full copy): merged there into whatever that
 * node holds, they give the same result as if it had merged every write behind this state.
 */
export function writesOf(state: RecordState): VersionedWrite[] {
  const { value, versions } = state;
  const writes: VersionedWrite[] = [];
  if (versions.deleted) {
    if (versions.base[0] > 0) writes.push({ op: 'delete', stamp: versions.base });
  } else {
    // Sets stamped with the base came from it (the value its increments add to).
    const own: Value = {};
    for (const [key, attribute] of Object.entries(value ?? {})) {
      const set = versions.attrs.get(key);
      if (set === undefined) own[key] = attribute;
      else if (sameStamp(set.stamp, versions.base) && set.value !== undefined) own[key] = set.value;
    }
    writes.push({ op: 'put', stamp: versions.base, value: own });
  }
  for (const [name, set] of versions.attrs) {
    if (!sameStamp(set.stamp, versions.base)) writes.push({ op: 'patch', stamp: set.stamp, set: { [name]: set.value } });
  }
  for (const [name, increments] of versions.adds) {
    for (const { stamp, delta } of increments) writes.push({ op: 'patch', stamp, set: {}, add: { [name]: delta } });
  }
  if (versions.upsert !== undefined) writes.push({ op: 'patch', stamp: versions.upsert, set: {}, upsert: true });
  return writes;
}
