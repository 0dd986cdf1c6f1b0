import type { DatabaseReplica, ReplicatedCommit } from '../storage/index.js';
import type { DataMessage } from './messages.js';

/** What a receiver needs of its session. */
export interface ReceiverLink {
  /** Data message `n` (and every one before it) is applied and stored. */
  confirm(n: number): void;
  pause(): void;
  resume(): void;
  /** Applying failed: the session closes, and the peer resends from the stored cursor on reconnect. */
  fail(error: unknown): void;
}

/** Queued messages above which the link stops reading, and below which it reads again. */
const PAUSE_AT = 32;
const RESUME_AT = 8;
/** Commits merged into one LMDB transaction at most. */
const COMMITS_PER_APPLY = 1000;

/**
 * Applies what one peer sends, in order: each run of queued log messages in one LMDB transaction
 * with the cursor they reach, each copy batch with the copy's progress. Only then is it confirmed.
 */
export class LogReceiver {
  readonly #replica: DatabaseReplica;
  readonly #peerId: number;
  readonly #link: ReceiverLink;
  readonly #queue: DataMessage[] = [];
  #running: Promise<void> | undefined;
  #paused = false;
  #failed = false;

  constructor(replica: DatabaseReplica, peerId: number, link: ReceiverLink) {
    this.#replica = replica;
    this.#peerId = peerId;
    this.#link = link;
  }

  receive(message: DataMessage): void {
    if (this.#failed) return;
    this.#queue.push(message);
    if (!this.#paused && this.#queue.length >= PAUSE_AT) {
      this.#paused = true;
      this.#link.pause();
    }
    this.#running ??= this.#drain().finally(() => (this.#running = undefined));
  }

  /** Resolves once everything received so far is applied (or applying failed). */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const first = this.#queue[0]!;
        let confirmed: number;
        if (first.t === 'commits') {
          const commits: ReplicatedCommit[] = [];
          let last = first.last;
          confirmed = first.n;
          while (this.#queue[0]?.t === 'commits' && commits.length < COMMITS_PER_APPLY) {
            const message = this.#queue.shift() as DataMessage & { t: 'commits' };
            for (const commit of message.commits) commits.push(commit);
            last = message.last;
            confirmed = message.n;
          }
          await this.#replica.apply(this.#peerId, { commits, cursors: new Map([[this.#peerId, last]]) });
        } else {
          this.#queue.shift();
          confirmed = first.n;
          if (first.t === 'copy') await this.#replica.apply(this.#peerId, { copied: { table: first.table, records: first.records }, copy: first.progress });
          else await this.#replica.apply(this.#peerId, { cursors: new Map([[this.#peerId, first.start]]), copy: null });
        }
        this.#link.confirm(confirmed);
        if (this.#paused && this.#queue.length <= RESUME_AT) {
          this.#paused = false;
          this.#link.resume();
        }
      }
    } catch (error) {
      this.#failed = true;
      this.#queue.length = 0;
      this.#link.fail(error);
    }
  }
}
