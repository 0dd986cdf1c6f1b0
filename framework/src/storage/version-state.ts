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
 * Where a record's increments are kept, one entry each (a DBI in storage): a set that arrives late
 * must keep exactly the increments made after it, and a hot counter must not rewrite its history
 * on every increment. An attribute's increments are those no older than its last set (the same
 * stamp is the patch that set it adding to it).
 */
export interface IncrementLog {
  /** The increments of `attribute` at or after `stamp`, oldest first. */
  since(attribute: string, stamp: Stamp): Increment[];
  has(attribute: string, stamp: Stamp): boolean;
  add(attribute: string, increment: Increment): void;
  /** Removes the increments of `attribute` older than `stamp`. */
  dropBefore(attribute: string, stamp: Stamp): void;
}

/**
 * What a record id holds beyond its current value so that writes merge to the same result in any
 * order (a last-writer-wins map): the last whole-record write, the attributes patches set after
 * it, and which attributes have increments since they were last set (the increments themselves
 * are in the `IncrementLog`).
 */
export interface VersionState {
  /** The last put or delete; `NO_STAMP` when there was none. */
  base: Stamp;
  /** The base is a delete, or there is no base: only an upsert newer than it makes the record exist. */
  deleted: boolean;
  /** Attributes set after the base (never older than it). Every attribute with increments has one. */
  attrs: Map<string, AttributeSet>;
  /** Attributes with increments since their set. */
  counted: Set<string>;
  /** The newest patch that may create the record (an `addTo`, an upsert). */
  upsert: Stamp | undefined;
}

export interface RecordState {
  /** The record as readers see it; undefined while it does not exist. */
  value: Value | undefined;
  /** The newest version of any write merged into it (the record's version while it exists). */
  version: number;
  versions: VersionState;
}

export type VersionedWrite =
  | { op: 'put'; stamp: Stamp; value: Value }
  | { op: 'delete'; stamp: Stamp }
  | { op: 'patch'; stamp: Stamp; set: Value; add?: Readonly<Record<string, number>> | undefined; upsert?: boolean | undefined };

export function baseState(base: Stamp, deleted: boolean): VersionState {
  return { base, deleted, attrs: new Map(), counted: new Set(), upsert: undefined };
}

/** Only a base: nothing to keep beyond the record's version and origin. */
export function isPlainState(versions: VersionState): boolean {
  return versions.attrs.size === 0 && versions.counted.size === 0 && versions.upsert === undefined;
}

/** The newest version the state carries, increments aside. */
export function newestVersion(versions: VersionState): number {
  let newest = versions.base[0];
  for (const { stamp } of versions.attrs.values()) newest = Math.max(newest, stamp[0]);
  return Math.max(newest, versions.upsert?.[0] ?? 0);
}

const sum = (increments: readonly Increment[]): number => increments.reduce((total, increment) => total + increment.delta, 0);

/**
 * Merges one write into a record's state; undefined when the write changes nothing (it is older
 * than what replaced it, or a duplicate). Merging is commutative, associative and idempotent, so
 * every node that has merged the same writes holds the same record. Increments are added to and
 * dropped from `increments` as the merge goes; the caller runs it inside the write transaction.
 */
export function mergeWrite(current: RecordState, write: VersionedWrite, increments: IncrementLog, primaryKey: string, id: Key): RecordState | undefined {
  if (!isAfter(write.stamp, current.versions.base)) return undefined;
  // Merging never drops anything newer than the write it merges.
  const version = Math.max(current.version, write.stamp[0]);
  if (write.op !== 'patch') {
    const versions = mergeBase(current.versions, write, increments);
    return { value: exists(versions) ? rebuilt(write.op === 'put' ? write.value : {}, versions, increments, primaryKey, id) : undefined, version, versions };
  }
  const merged = mergePatch(current, write, increments);
  if (merged === undefined) return undefined;
  const { versions } = merged;
  if (!exists(versions)) return { value: undefined, version, versions };
  if (current.value === undefined) return { value: rebuilt({}, versions, increments, primaryKey, id), version, versions };
  // Only what the patch changed is computed again: a hot counter is never summed from its history.
  const value: Value = { ...current.value, [primaryKey]: id };
  for (const name of merged.sets) assign(value, name, attributeValue(versions, name, increments));
  for (const [name, delta] of merged.adds) {
    if (merged.sets.includes(name)) continue;
    const before = value[name];
    value[name] = (typeof before === 'number' ? before : 0) + delta;
  }
  return { value, version, versions };
}

function exists(versions: VersionState): boolean {
  return !versions.deleted || (versions.upsert !== undefined && isAfter(versions.upsert, versions.base));
}

/** The value of a set attribute: the set, plus the increments since. */
function attributeValue(versions: VersionState, name: string, increments: IncrementLog): unknown {
  const set = versions.attrs.get(name)!;
  if (!versions.counted.has(name)) return set.value;
  return (typeof set.value === 'number' ? set.value : 0) + sum(increments.since(name, set.stamp));
}

function assign(value: Value, name: string, attribute: unknown): void {
  if (attribute === undefined) delete value[name];
  else value[name] = attribute;
}

/** The record from its base and what was set and added since. */
function rebuilt(base: Value, versions: VersionState, increments: IncrementLog, primaryKey: string, id: Key): Value {
  if (isPlainState(versions)) return base;
  const value: Value = { ...base };
  for (const name of versions.attrs.keys()) assign(value, name, attributeValue(versions, name, increments));
  value[primaryKey] = id;
  return value;
}

function mergeBase(old: VersionState, write: VersionedWrite & { op: 'put' | 'delete' }, increments: IncrementLog): VersionState {
  const stamp = write.stamp;
  const base = write.op === 'put' ? write.value : {};
  const versions = baseState(stamp, write.op === 'delete');
  for (const [name, set] of old.attrs) if (isAfter(set.stamp, stamp)) versions.attrs.set(name, set);
  for (const name of old.counted) {
    if (versions.attrs.has(name)) {
      versions.counted.add(name);
      continue;
    }
    increments.dropBefore(name, stamp);
    if (increments.since(name, stamp).length === 0) continue;
    versions.counted.add(name);
    // The base now holds the value the increments after it add to.
    versions.attrs.set(name, { stamp, value: base[name] });
  }
  if (old.upsert !== undefined && isAfter(old.upsert, stamp)) versions.upsert = old.upsert;
  return versions;
}

/**
 * The merged state (the same object when only increments were added to counters it already had),
 * the attributes the patch set, and the increments it added.
 */
function mergePatch(current: RecordState, write: VersionedWrite & { op: 'patch' }, increments: IncrementLog): { versions: VersionState; sets: string[]; adds: Array<[string, number]> } | undefined {
  const old = current.versions;
  const stamp = write.stamp;
  const attrs = new Map(old.attrs);
  const counted = new Set(old.counted);
  let reshaped = false;
  const sets: string[] = [];
  const adds: Array<[string, number]> = [];
  for (const name of Object.keys(write.set)) {
    const previous = attrs.get(name);
    if (previous !== undefined && !isAfter(stamp, previous.stamp)) continue;
    attrs.set(name, { stamp, value: write.set[name] });
    if (counted.has(name)) {
      increments.dropBefore(name, stamp);
      if (increments.since(name, stamp).length === 0) counted.delete(name);
    }
    sets.push(name);
    reshaped = true;
  }
  for (const [name, delta] of Object.entries(write.add ?? {})) {
    const set = attrs.get(name);
    // A set after this increment replaced it; the same stamp is this very patch setting then adding.
    if (set !== undefined && isAfter(set.stamp, stamp)) continue;
    if (increments.has(name, stamp)) continue;
    increments.add(name, { stamp, delta });
    if (!counted.has(name)) {
      counted.add(name);
      reshaped = true;
    }
    // The value so far is the base's (or nothing): the increments add to it.
    if (set === undefined) attrs.set(name, { stamp: old.base, value: old.deleted ? undefined : current.value?.[name] });
    adds.push([name, delta]);
  }
  let upsert = old.upsert;
  if (write.upsert && (upsert === undefined || isAfter(stamp, upsert))) upsert = stamp;
  if (sets.length === 0 && adds.length === 0 && upsert === old.upsert) return undefined;
  const versions = reshaped || upsert !== old.upsert ? { base: old.base, deleted: old.deleted, attrs, counted, upsert } : old;
  return { versions, sets, adds };
}

/** The state as stored next to the record: compact, and absent when it is only a local base. */
export interface StoredVersions {
  /** The base's stamp. */
  b: [number, number];
  d?: 1;
  a?: Record<string, [number, number, unknown]>;
  /** Attributes with increments. */
  i?: string[];
  u?: [number, number];
}

export function encodeVersions(versions: VersionState): StoredVersions {
  const stored: StoredVersions = { b: [versions.base[0], versions.base[1]] };
  if (versions.deleted) stored.d = 1;
  if (versions.attrs.size > 0) {
    stored.a = Object.create(null) as Record<string, [number, number, unknown]>;
    for (const [name, { stamp, value }] of versions.attrs) stored.a[name] = [stamp[0], stamp[1], value];
  }
  if (versions.counted.size > 0) stored.i = [...versions.counted].sort();
  if (versions.upsert !== undefined) stored.u = [versions.upsert[0], versions.upsert[1]];
  return stored;
}

export function decodeVersions(stored: StoredVersions): VersionState {
  const versions = baseState([stored.b[0], stored.b[1]], stored.d === 1);
  for (const [name, [version, origin, value]] of Object.entries(stored.a ?? {})) versions.attrs.set(name, { stamp: [version, origin], value });
  for (const name of stored.i ?? []) versions.counted.add(name);
  if (stored.u !== undefined) versions.upsert = [stored.u[0], stored.u[1]];
  return versions;
}

/**
 * The writes that rebuild a state on another node (a full copy): merged there into whatever that
 * node holds, they give the same result as if it had merged every write behind this state.
 */
export function writesOf(state: RecordState, increments: IncrementLog): VersionedWrite[] {
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
  for (const name of versions.counted) {
    for (const { stamp, delta } of increments.since(name, NO_STAMP)) writes.push({ op: 'patch', stamp, set: {}, add: { [name]: delta } });
  }
  if (versions.upsert !== undefined) writes.push({ op: 'patch', stamp: versions.upsert, set: {}, upsert: true });
  return writes;
}
