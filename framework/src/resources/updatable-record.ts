import type { Key, StoredTable, Transaction } from '../storage/index.js';

type Row = Record<string, unknown>;

/** What `update()` returns: the record's attributes, readable and settable, and these methods. */
export interface UpdatableMethods<R = Row> {
  /** Adds to a numeric attribute at commit, onto its value then: concurrent increments are never lost. */
  addTo(attribute: keyof R & string, delta: number): void;
  subtractFrom(attribute: keyof R & string, delta: number): void;
  set(attribute: keyof R & string, value: unknown): void;
  getProperty(attribute: keyof R & string): unknown;
  getId(): Key;
  /** Replaces the whole record. */
  put(record: Partial<R>): void;
  /** Merges attributes into the record. */
  patch(changes: Partial<R>): void;
}

export type UpdatableRecord<R = Row> = R & UpdatableMethods<R>;

/**
 * A record whose changes go into the transaction, as Harper's `Updatable`. Reading an attribute
 * reads the record as the transaction sees it (so a read-modify-write is checked for conflicts at
 * commit); setting one patches it. Methods take precedence over attributes of the same name; use
 * `getProperty`/`set` for those.
 */
export function updatableRecord(table: StoredTable, transaction: Transaction, id: Key): UpdatableRecord {
  const current = (): Row | undefined => transaction.get(table, id)?.value;
  const patch = (changes: Row): void => {
    if (!transaction.patch(table, id, changes)) transaction.put(table, id, changes);
  };
  const methods: UpdatableMethods & { toJSON(): Row } = {
    addTo: (attribute, delta) => transaction.increment(table, id, attribute, delta),
    subtractFrom: (attribute, delta) => transaction.increment(table, id, attribute, -delta),
    set: (attribute, value) => patch({ [attribute]: value }),
    getProperty: (attribute) => current()?.[attribute],
    getId: () => id,
    put: (record) => void transaction.put(table, id, record),
    patch: (changes) => patch(changes as Row),
    toJSON: () => ({ ...current() }),
  };
  return new Proxy({} as UpdatableRecord, {
    get(_target, property) {
      if (typeof property === 'symbol' || property === 'then') return undefined;
      if (Object.hasOwn(methods, property)) return methods[property as keyof typeof methods];
      return current()?.[property];
    },
    set(_target, property, value) {
      if (typeof property === 'symbol') return false;
      patch({ [property]: value });
      return true;
    },
    has: (_target, property) => typeof property === 'string' && (Object.hasOwn(methods, property) || Object.hasOwn(current() ?? {}, property)),
    ownKeys: () => Reflect.ownKeys(current() ?? {}),
    getOwnPropertyDescriptor(_target, property) {
      const record = current();
      if (typeof property === 'symbol' || record === undefined || !Object.hasOwn(record, property)) return undefined;
      return { value: record[property], writable: true, enumerable: true, configurable: true };
    },
  });
}
