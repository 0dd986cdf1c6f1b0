import type { DatabaseEnv } from './database-env.js';
import { decodeLogEntry, logBody, logEntryOrigin } from './log-entry.js';
import { incrementsOf, recordStateOf } from './record-writer.js';
import { rowOf, type RecordRow } from './stored-record.js';
import type { Table } from './stored-table.js';
import type { ChangeEntry, Key } from './types.js';
import { decodeVersions, writesOf, type VersionedWrite } from './version-state.js';

/** A change-log entry as stored: its sequence and its self-contained msgpack bytes. */
export interface LogBytes {
  seq: number;
  bytes: Uint8Array;
}

/** One commit of a peer's log: the peer's sequence of its last entry, and the entries as the peer stored them. */
export interface ReplicatedCommit {
  seq: number;
  entries: Uint8Array[];
}

/** A record as a full copy sends it: the writes that rebuild its state anywhere. */
export interface CopiedRecord {
  id: Key;
  writes: VersionedWrite[];
  expiresAt?: number;
}

/** Where a full copy from a peer got to: the peer's log sequence it started at, and the last table and key done. */
export interface CopyProgress {
  start: number;
  table: string;
  /** The copy phase of the table: live records, then tombstones, then states of records that do not exist yet. */
  phase: CopyPhase;
  after?: Key;
}

export type CopyPhase = 'records' | 'tombstones' | 'pending';

const PHASES: readonly CopyPhase[] = ['records', 'tombstones', 'pending'];

interface ReplicaHost {
  readonly nodeId: number;
  now(): number;
  /** Names of this database's current tables that replicate. */
  replicatedTableNames(): string[];
  /** The current table of this database by name, when it is replicated. */
  replicatedTable(name: string): Table | undefined;
  emit(changes: ChangeEntry[]): void;
  onCommit(listener: (changes: ChangeEntry[]) => void): () => void;
}

/**
 * What replication reads and writes of one database: its log as stored bytes, its tables as
 * copies, and peers' commits applied atomically together with the cursor that says how far they got.
 */
export class DatabaseReplica {
  readonly #env: DatabaseEnv;
  readonly #host: ReplicaHost;

  constructor(env: DatabaseEnv, host: ReplicaHost) {
    this.#env = env;
    this.#host = host;
  }

  get name(): string {
    return this.#env.name;
  }

  get nodeId(): number {
    return this.#host.nodeId;
  }

  /** The oldest and newest sequence the log holds. */
  get bounds(): { first: number; last: number } {
    return { first: this.#env.firstSeq, last: this.#env.lastSeq };
  }

  /**
   * The newest sequence of the log once the commits in progress are done. A commit takes its
   * sequences before its writes can be read: a copy that started from `bounds.last` could miss
   * such a write and then stream only what follows it.
   */
  async committedLast(): Promise<number> {
    const last = this.#env.lastSeq;
    await this.#env.root.committed;
    return last;
  }

  /**
   * Calls `listener` after each commit to this database (local or replicated) with the origins it
   * wrote and its last log sequence; returns the unsubscribe. Every log entry is announced so.
   */
  onCommit(listener: (origins: ReadonlySet<number>, last: number) => void): () => void {
    const name = this.#env.name;
    return this.#host.onCommit((changes) => {
      const origins = new Set<number>();
      let last = 0;
      for (const change of changes) {
        if (change.database !== name) continue;
        origins.add(change.origin);
        last = Math.max(last, change.seq);
      }
      if (origins.size > 0) listener(origins, last);
    });
  }

  /** Log entries after `afterSeq`, as stored. */
  logAfter(afterSeq: number, limit?: number): Iterable<LogBytes> {
    return this.#env.log
      .getRange({ start: afterSeq, exclusiveStart: true, ...(limit !== undefined && { limit }) })
      .map(({ key, value }) => ({ seq: key, bytes: value }));
  }

  /** The first sequence committed at or after `time` (a route's `startTime`). */
  seqAtTime(time: number): number {
    return this.#env.seqAtTime(time);
  }

  /** How far this node has applied `peer`'s log, per origin it asked that peer for. */
  cursors(peer: number): Map<number, number> {
    const cursors = new Map<number, number>();
    for (const { key, value } of this.#env.meta.getRange({ start: ['replication', 'cursor', peer], end: ['replication', 'cursor', peer, Infinity] })) {
      const origin = (key as unknown[])[3];
      if (typeof origin === 'number' && typeof value === 'number') cursors.set(origin, value);
    }
    return cursors;
  }

  copyProgress(peer: number): CopyProgress | undefined {
    return this.#env.meta.get(['replication', 'copy', peer]) as CopyProgress | undefined;
  }

  /** Names of the tables a peer may receive, in a stable order. */
  tableNames(): string[] {
    return this.#host.replicatedTableNames().sort();
  }

  /**
   * Up to `limit` records of a table after `progress`, as writes, with where the next batch starts
   * (undefined when the table is done).
   */
  copyBatch(table: string, phase: CopyPhase, after: Key | undefined, limit: number): { records: CopiedRecord[]; next?: { phase: CopyPhase; after?: Key } } {
    const stored = this.#host.replicatedTable(table);
    if (stored === undefined) return { records: [] };
    const { records, tombstones, versions, expires } = stored.stores;
    const range = { ...(after !== undefined && { start: after, exclusiveStart: true }), limit };
    const copied: CopiedRecord[] = [];
    let last: Key | undefined;
    let scanned = 0;
    const add = (id: Key, old: RecordRow | undefined): void => {
      last = id;
      scanned++;
      const state = recordStateOf(stored.stores, id, old, this.#host.nodeId);
      const expiresAt = old === undefined ? undefined : expires.get(id);
      copied.push({ id, writes: writesOf(state, incrementsOf(stored.stores, id)), ...(expiresAt !== undefined && { expiresAt }) });
    };
    if (phase === 'records') {
      for (const { key, value, version } of records.getRange({ ...range, versions: true })) add(key, rowOf(value, version, this.#host.nodeId));
    } else if (phase === 'tombstones') {
      for (const key of tombstones.getKeys(range)) add(key, undefined);
    } else {
      for (const { key, value } of versions.getRange(range)) {
        last = key;
        scanned++;
        const state = decodeVersions(value);
        if (state.deleted && state.base[0] === 0 && !records.doesExist(key)) copied.push({ id: key, writes: writesOf({ value: undefined, version: 0, versions: state }, incrementsOf(stored.stores, key)) });
      }
    }
    if (scanned === limit) return { records: copied, next: { phase, ...(last !== undefined && { after: last }) } };
    const following = PHASES[PHASES.indexOf(phase) + 1];
    return { records: copied, ...(following !== undefined && { next: { phase: following } }) };
  }

  /**
   * Applies a peer's commits (and copied records) in one LMDB transaction, with the cursor and copy
   * progress that say how far they got, so an interrupted stream resumes without a gap or a repeat.
   * Entries of an origin whose cursor the update moves are skipped up to the cursor already stored,
   * and a cursor never moves back: two links to the same peer can overlap for a while (a replaced
   * link still applying what it received, a reconnect that read the cursor before that), and
   * neither may apply a commit twice. Local subscribers hear about every change that results.
   */
  async apply(peer: number, update: { commits?: ReplicatedCommit[]; copied?: { table: string; records: CopiedRecord[] }; cursors?: Map<number, number>; copy?: CopyProgress | null }): Promise<ChangeEntry[]> {
    const env = this.#env;
    const changes = await env.transaction(() => {
      const applied: ChangeEntry[] = [];
      const stored = this.cursors(peer);
      const appliedTo = (origin: number): number => (update.cursors?.has(origin) ? (stored.get(origin) ?? -1) : -1);
      for (const commit of update.commits ?? []) {
        const entries = commit.entries.filter((entry) => commit.seq > appliedTo(logEntryOrigin(entry)));
        env.asOneCommit(entries.length, () => {
          for (const entry of entries) {
            const change = this.#applyEntry(entry);
            if (change !== undefined) applied.push(change);
          }
        });
      }
      if (update.copied !== undefined) {
        const table = this.#host.replicatedTable(update.copied.table);
        for (const record of table === undefined ? [] : update.copied.records) {
          for (const write of record.writes) {
            const change = table!.applyReplicated(write, record.id, record.expiresAt);
            if (change !== undefined) applied.push(change);
          }
        }
      }
      for (const [origin, seq] of update.cursors ?? []) if (seq > (stored.get(origin) ?? -1)) env.meta.putSync(['replication', 'cursor', peer, origin], seq);
      if (update.copy === null) env.meta.removeSync(['replication', 'copy', peer]);
      else if (update.copy !== undefined) env.meta.putSync(['replication', 'copy', peer], update.copy);
      return applied;
    });
    if (changes.length > 0) this.#host.emit(changes);
    return changes;
  }

  #applyEntry(bytes: Uint8Array): ChangeEntry | undefined {
    const entry = decodeLogEntry(bytes);
    const table = this.#host.replicatedTable(entry.table);
    if (table === undefined) return undefined;
    const stamp = [entry.version, entry.origin] as const;
    if (entry.op === 'message') {
      const env = this.#env;
      env.observeVersion(entry.version);
      return env.appendLog({ op: 'message', table: entry.table, id: entry.id, version: entry.version, origin: entry.origin, at: this.#host.now(), value: entry.value }, logBody(bytes));
    }
    let write: VersionedWrite;
    if (entry.op === 'delete') write = { op: 'delete', stamp };
    else if (entry.set !== undefined) write = { op: 'patch', stamp, set: entry.set, add: entry.add, upsert: entry.upsert };
    else write = { op: 'put', stamp, value: entry.value as Record<string, unknown> };
    return table.applyReplicated(write, entry.id, entry.expiresAt, logBody(bytes));
  }
}
