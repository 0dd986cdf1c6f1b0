import { parseQuery, rowFilter, runQuery } from '../query/index.js';
import type { ChangeEntry, Key, Storage, StoredTable } from '../storage/index.js';
import { LiveEvent } from './live-event.js';
import type { SubscribeRequest } from './subscribe-request.js';
import { DEFAULT_MAX_QUEUED_EVENTS, Subscription } from './subscription.js';

type Row = Record<string, unknown>;

/** The subscribers of one table: per record id, and those that see every change (collections, queries). */
interface TableSubscribers {
  records: Map<Key, Set<Subscription>>;
  all: Set<Subscription>;
}

/** How far back `previousCount` looks through other tables' entries before it stops. */
const MAX_PREVIOUS_SCAN = 100_000;

export interface HubOptions {
  maxQueuedEvents?: number;
}

const tableKey = (database: string, table: string): string => `${database}/${table}`;

/**
 * Feeds subscriptions from the change log: one commit listener fans each change out to the
 * subscribers of its table and record as one shared event; replay and resume read the log itself.
 */
export class RealtimeHub {
  readonly #storage: Storage;
  readonly #tables = new Map<string, TableSubscribers>();
  readonly #maxQueued: number;
  readonly #unlisten: () => void;
  #count = 0;

  constructor(storage: Storage, options: HubOptions = {}) {
    this.#storage = storage;
    this.#maxQueued = options.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_EVENTS;
    this.#unlisten = storage.onCommit((entries) => this.#deliver(entries));
  }

  /** Open subscriptions (closing a connection must bring this back down). */
  get size(): number {
    return this.#count;
  }

  subscribe(table: StoredTable, request: SubscribeRequest): Subscription {
    const database = table.def.database;
    const { first, last } = this.#storage.logBounds(database);
    const filter = request.where && rowFilter(table, request.where);
    const inScope = (id: Key): boolean => (request.id !== undefined ? id === request.id : request.prefix === undefined || String(id).startsWith(request.prefix));
    // Members of a query subscription's view, known once it has sent the initial state.
    let members: Set<Key> | undefined;
    const accept = (event: LiveEvent): LiveEvent | undefined => {
      if (event.id === undefined || !inScope(event.id)) return undefined;
      if (!filter) return event;
      if (event.type === 'put' && filter(event.value as Row)) {
        members?.add(event.id);
        return event;
      }
      if (members && !members.has(event.id)) return undefined;
      members?.delete(event.id);
      return event.type === 'put' ? event.asRemoval() : event;
    };

    const changesOf = (entries: Iterable<ChangeEntry>): Iterable<LiveEvent> =>
      mapDefined(entries, (entry) => (entry.table === table.name ? accept(LiveEvent.fromChange(entry)) : undefined));
    const snapshot = (): Iterable<LiveEvent> => {
      if (request.id !== undefined) {
        // One record is read now, so it is exactly the state at the `ready` sequence.
        const entry = table.get(request.id);
        return entry ? [new LiveEvent({ type: 'put', id: entry.id, value: entry.value, version: entry.version, seq: last }, false)] : [];
      }
      // Planned now, so a query the indexes cannot answer fails the subscription, not its stream.
      const rows = request.where && this.#matching(table, request.where);
      return {
        [Symbol.iterator]: () => {
          members = filter ? new Set() : undefined;
          return this.#snapshot(table, request, last, rows, members)[Symbol.iterator]();
        },
      };
    };
    const resetThenSnapshot = (): Iterable<LiveEvent> => concat([[new LiveEvent({ type: 'reset', seq: last })], snapshot()]);

    let initial: Iterable<LiveEvent>;
    let afterSeq = last;
    if (request.resume !== undefined) {
      const reaches = request.resume >= first - 1 && request.resume <= last;
      if (reaches) afterSeq = request.resume;
      initial = reaches ? lazy(() => changesOf(this.#storage.changes(database, request.resume))) : resetThenSnapshot();
    } else if (request.startTime !== undefined) {
      const from = this.#storage.seqAtTime(database, request.startTime);
      const reaches = from > first || first <= 1;
      if (reaches) afterSeq = from - 1;
      initial = reaches ? lazy(() => changesOf(this.#storage.changes(database, from - 1))) : resetThenSnapshot();
    } else if (request.previousCount !== undefined) {
      const recent = this.#recent(table, database, last, request.previousCount, inScope);
      if (recent[0]) afterSeq = recent[0].seq - 1;
      initial = lazy(() => changesOf(recent));
    } else {
      initial = request.omitCurrent ? [] : snapshot();
    }

    const group = this.#group(database, table.name);
    const subscription = new Subscription(initial, afterSeq, (closed) => this.#remove(group, request.id, closed), this.#maxQueued);
    subscription.accept = accept;
    if (request.id === undefined) group.all.add(subscription);
    else {
      let set = group.records.get(request.id);
      if (!set) group.records.set(request.id, (set = new Set()));
      set.add(subscription);
    }
    this.#count++;
    return subscription;
  }

  /** Ends every subscription and stops listening (the app is stopping). */
  close(): void {
    this.#unlisten();
    for (const group of this.#tables.values()) {
      for (const subscription of [...group.all, ...[...group.records.values()].flatMap((set) => [...set])]) void subscription.return();
    }
  }

  #group(database: string, table: string): TableSubscribers {
    const key = tableKey(database, table);
    let group = this.#tables.get(key);
    if (!group) this.#tables.set(key, (group = { records: new Map(), all: new Set() }));
    return group;
  }

  #remove(group: TableSubscribers, id: Key | undefined, subscription: Subscription): void {
    const removed = id === undefined ? group.all.delete(subscription) : (group.records.get(id)?.delete(subscription) ?? false);
    if (id !== undefined && group.records.get(id)?.size === 0) group.records.delete(id);
    if (removed) this.#count--;
  }

  #deliver(entries: ChangeEntry[]): void {
    for (const entry of entries) {
      const group = this.#tables.get(tableKey(entry.database, entry.table));
      if (!group) continue;
      const watchers = group.records.get(entry.id);
      if (!watchers && group.all.size === 0) continue;
      const event = LiveEvent.fromChange(entry);
      if (watchers) for (const subscription of watchers) subscription.offer(event);
      for (const subscription of group.all) subscription.offer(event);
    }
  }

  #matching(table: StoredTable, where: NonNullable<SubscribeRequest['where']>): Iterable<Row> {
    const outcome = runQuery(table, { ...parseQuery(''), where });
    return outcome.kind === 'rows' ? (outcome.rows as Iterable<Row>) : [];
  }

  /** The current state of a collection as `put` events: its records, or those matching, read lazily. */
  *#snapshot(table: StoredTable, request: SubscribeRequest, seq: number, rows: Iterable<Row> | undefined, members: Set<Key> | undefined): Iterable<LiveEvent> {
    const event = (id: Key, value: unknown, version?: number): LiveEvent => new LiveEvent({ type: 'put', id, value, version, seq }, false);
    if (rows) {
      const pk = table.def.primaryKey;
      for (const row of rows) {
        const id = row[pk] as Key;
        if (request.prefix !== undefined && !String(id).startsWith(request.prefix)) continue;
        members?.add(id);
        yield event(id, row);
      }
      return;
    }
    const prefix = request.prefix;
    const entries = prefix === undefined ? table.scan() : table.scan({ start: prefix, end: `${prefix}\uffff` });
    for (const entry of entries) yield event(entry.id, entry.value, entry.version);
  }

  /** The last `count` changes in scope, oldest first, looking back a bounded distance. */
  #recent(table: StoredTable, database: string, last: number, count: number, inScope: (id: Key) => boolean): ChangeEntry[] {
    const found: ChangeEntry[] = [];
    let scanned = 0;
    for (const entry of this.#storage.changesBackwards(database, last)) {
      if (found.length >= count || ++scanned > MAX_PREVIOUS_SCAN) break;
      if (entry.table === table.name && inScope(entry.id)) found.push(entry);
    }
    return found.reverse();
  }
}

function* mapDefined<T, U>(items: Iterable<T>, map: (item: T) => U | undefined): Iterable<U> {
  for (const item of items) {
    const mapped = map(item);
    if (mapped !== undefined) yield mapped;
  }
}

function* concat<T>(parts: Iterable<T>[]): Iterable<T> {
  for (const part of parts) yield* part;
}

/** An iterable whose source is opened only when it is first read (after the subscription is registered). */
function* lazy<T>(open: () => Iterable<T>): Iterable<T> {
  yield* open();
}
