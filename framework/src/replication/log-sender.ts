import { logHeader, type CopyProgress, type DatabaseReplica } from '../storage/index.js';
import type { Logger } from '../util/index.js';
import type { DataMessage, Message, Since } from './messages.js';
import type { ReplicationOptions } from './options.js';
import type { Timers } from './peer-link.js';

/** What a sender needs of its session. */
export interface SenderLink {
  /** False when the link's buffer is full: the sender waits for `drained`. */
  send(message: Message): boolean;
  readonly timers: Timers;
}

/** A name that sorts after `table` and before any other name: "the tables after this one". */
const after = (table: string): string => `${table}\u0000`;

/**
 * Streams this node's log to one peer: the entries of the origins it asked for, after its cursor,
 * in commit order, a commit never split. A peer with no cursor, or one the log no longer reaches,
 * first gets a full copy. It waits for the link to drain and for the peer to confirm what it
 * sent, so neither end buffers more than a few messages.
 */
export class LogSender {
  readonly #replica: DatabaseReplica;
  readonly #link: SenderLink;
  readonly #options: ReplicationOptions;
  readonly #logger: Logger;
  readonly #peer: string;
  #sent = 0;
  #confirmed = 0;
  /** When the oldest message the peer has not confirmed was sent. */
  #unconfirmedSince: number | undefined;
  #sentAt = new Map<number, number>();
  #wake: (() => void) | undefined;
  #draining = false;
  #stopped = false;
  #position = 0;
  /** The origins the peer asked for. */
  #origins: ReadonlySet<number> = new Set();
  /** The newest log sequence announced as committed. */
  #committedThrough = 0;
  /** Whether the log may hold entries to send after where the sender read it to. */
  #unread = true;
  /** The timer of a held-back progress message, and whether it has fired. */
  #progressTimer: unknown;
  #progressDue = false;

  constructor(replica: DatabaseReplica, link: SenderLink, options: ReplicationOptions, logger: Logger, peer: string) {
    this.#replica = replica;
    this.#link = link;
    this.#options = options;
    this.#logger = logger;
    this.#peer = peer;
  }

  /** The sender sequence this sender has read its log to. */
  get position(): number {
    return this.#position;
  }

  get confirmed(): number {
    return this.#confirmed;
  }

  /** When the oldest unconfirmed message was sent; undefined when the peer has confirmed everything. */
  get unconfirmedSince(): number | undefined {
    return this.#unconfirmedSince;
  }

  async run(since: Since): Promise<void> {
    this.#origins = new Set(since.origins);
    const { first, last } = this.#replica.bounds;
    const reaches = (seq: number): boolean => seq + 1 >= first;
    let position: number;
    if (since.copy !== undefined && reaches(since.copy.start)) {
      await this.#copy(since.copy);
      position = since.copy.start;
    } else if (since.cursor !== undefined && reaches(since.cursor)) {
      position = Math.min(since.cursor, last);
    } else if (since.cursor === undefined && since.copy === undefined && since.startTime !== undefined) {
      position = this.#replica.seqAtTime(since.startTime) - 1;
    } else {
      if (since.cursor !== undefined || since.copy !== undefined) {
        this.#logger.warn(`Replication: the change log of ${this.#replica.name} no longer reaches where ${this.#peer} got to; sending it a full copy`);
      }
      position = await this.#fullCopy();
    }
    await this.#stream(position);
  }

  /** A copy of every table, then the log from where it started; returns that position. */
  async #fullCopy(): Promise<number> {
    const start = await this.#replica.committedLast();
    await this.#copy({ start, table: '', phase: 'records' });
    return start;
  }

  confirm(n: number): void {
    if (n <= this.#confirmed || n > this.#sent) return;
    for (let i = this.#confirmed + 1; i <= n; i++) this.#sentAt.delete(i);
    this.#confirmed = n;
    this.#unconfirmedSince = this.#sentAt.get(n + 1);
    this.#notify();
  }

  drained(): void {
    this.#draining = false;
    this.#notify();
  }

  /** A commit through log sequence `last`, by these origins: only one the peer asked for is worth reading now. */
  committed(origins: ReadonlySet<number>, last: number): void {
    this.#committedThrough = Math.max(this.#committedThrough, last);
    if ([...origins].some((origin) => this.#origins.has(origin))) {
      this.#unread = true;
      this.#notify();
    } else this.#holdProgress();
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelProgress();
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => (this.#wake = resolve));
  }

  /** Waits `ms`, or less when something else wakes the sender (it checks again what it waits for). */
  async #sleep(ms: number): Promise<void> {
    const timer = this.#link.timers.setTimeout(() => this.#notify(), ms);
    await this.#wait();
    this.#link.timers.clearTimeout(timer);
  }

  async #send(message: DataMessage): Promise<void> {
    const at = this.#link.timers.now();
    this.#sentAt.set(message.n, at);
    this.#unconfirmedSince ??= at;
    if (!this.#link.send(message)) this.#draining = true;
    while (!this.#stopped && (this.#draining || this.#sent - this.#confirmed >= this.#options.maxUnconfirmed)) await this.#wait();
  }

  #next(): number {
    return ++this.#sent;
  }

  async #copy(from: CopyProgress): Promise<void> {
    const { start } = from;
    for (const table of this.#replica.tableNames().filter((name) => name >= from.table)) {
      let cursor: Pick<CopyProgress, 'phase' | 'after'> | undefined = table === from.table ? { phase: from.phase, after: from.after } : { phase: 'records' };
      while (cursor !== undefined && !this.#stopped) {
        const batch = this.#replica.copyBatch(table, cursor.phase, cursor.after, this.#options.copyBatchRecords);
        cursor = batch.next;
        const progress: CopyProgress = cursor === undefined ? { start, table: after(table), phase: 'records' } : { start, table, ...cursor };
        if (batch.records.length > 0 || cursor === undefined) await this.#send({ t: 'copy', n: this.#next(), table, records: batch.records, progress });
      }
    }
    if (!this.#stopped) await this.#send({ t: 'copied', n: this.#next(), start });
  }

  async #stream(from: number): Promise<void> {
    let position = from;
    let reported = from;
    /** After a message that was not full, the next waits until then (see `sendIntervalMs`). */
    let spacedUntil = 0;
    const send = async (commits: Array<{ seq: number; entries: Uint8Array[] }>, full: boolean): Promise<void> => {
      this.#cancelProgress();
      reported = position;
      await this.#send({ t: 'commits', n: this.#next(), commits, last: position });
      if (!full) spacedUntil = this.#link.timers.now() + this.#options.sendIntervalMs;
    };
    const unsubscribe = this.#replica.onCommit((origins, last) => this.committed(origins, last));
    try {
      while (!this.#stopped) {
        // Retention may prune the log under a peer that is behind (or still taking a copy): a copy again, never a gap.
        if (position + 1 < this.#replica.bounds.first) {
          this.#logger.warn(`Replication: the change log of ${this.#replica.name} was pruned past what ${this.#peer} got; sending it a full copy`);
          this.#position = reported = position = await this.#fullCopy();
          this.#unread = true;
          continue;
        }
        if (spacedUntil > this.#link.timers.now()) {
          await this.#sleep(spacedUntil - this.#link.timers.now());
          continue;
        }
        if (!this.#unread) {
          // Only origins the peer did not ask for committed since the log was read to its end:
          // their entries are skipped unread, and the progress goes when it is due.
          if (this.#progressDue && Math.max(position, this.#committedThrough) > reported) {
            this.#position = position = Math.max(position, this.#committedThrough);
            await send([], false);
          } else await this.#wait();
          continue;
        }
        // Cleared before reading: a commit announced from here on is read next time.
        this.#unread = false;
        const batch = this.#readBatch(position);
        if (batch.full) this.#unread = true;
        this.#position = position = batch.last;
        if (batch.commits.length > 0 || (position > reported && this.#progressDue)) await send(batch.commits, batch.full);
        else if (position > reported) this.#holdProgress();
      }
    } finally {
      unsubscribe();
      this.#cancelProgress();
    }
  }

  /** Progress alone (entries the peer did not ask for) goes with the next commits, or after `progressDelayMs`. */
  #holdProgress(): void {
    if (this.#progressTimer !== undefined || this.#stopped) return;
    this.#progressTimer = this.#link.timers.setTimeout(() => {
      this.#progressTimer = undefined;
      this.#progressDue = true;
      this.#notify();
    }, this.#options.progressDelayMs);
  }

  #cancelProgress(): void {
    if (this.#progressTimer !== undefined) this.#link.timers.clearTimeout(this.#progressTimer);
    this.#progressTimer = undefined;
    this.#progressDue = false;
  }

  /** Commits after `position` up to about `batchBytes`, whole; `last`: the sequence read to; `full`: more were left. */
  #readBatch(position: number): { commits: Array<{ seq: number; entries: Uint8Array[] }>; last: number; full: boolean } {
    const commits: Array<{ seq: number; entries: Uint8Array[] }> = [];
    const tables = new Set(this.#replica.tableNames());
    let bytes = 0;
    let last = position;
    let open: { txn: number | undefined; seq: number; entries: Uint8Array[] } | undefined;
    let full = false;
    const close = (): void => {
      if (open !== undefined && open.entries.length > 0) commits.push({ seq: open.seq, entries: open.entries });
      open = undefined;
    };
    for (const { seq, bytes: entryBytes } of this.#replica.logAfter(position)) {
      const entry = logHeader(entryBytes);
      const continues = open !== undefined && entry.txn !== undefined && entry.txn === open.txn;
      if (!continues) {
        close();
        if (bytes >= this.#options.batchBytes) {
          full = true;
          break;
        }
        open = { txn: entry.txn, seq, entries: [] };
      }
      open!.seq = seq;
      last = seq;
      if (this.#origins.has(entry.origin) && tables.has(entry.table)) {
        open!.entries.push(entryBytes);
        bytes += entryBytes.length;
      }
    }
    close();
    return { commits, last, full };
  }
}
