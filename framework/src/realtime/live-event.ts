import type { ChangeEntry, Key } from '../storage/index.js';

/**
 * The envelope every subscriber receives (docs/realtime.md, version 1): a change from the change
 * log (`put`, `delete`, `message`), or a marker: `ready` once the initial state or replay is
 * complete, `reset` when a resume point is older than the change log reaches.
 */
export interface EventEnvelope {
  type: 'put' | 'delete' | 'message' | 'ready' | 'reset';
  id?: Key;
  value?: unknown;
  version?: number;
  /** Change-log sequence: the resume token. Events of the initial state carry the sequence they were read at. */
  seq: number;
}

/** Anything that turns a value into bytes or text (a transport codec). */
export interface EventEncoder {
  encode(value: unknown): string | Buffer;
}

/**
 * One event, shared by every subscriber it goes to: its encodings are cached per encoder, so a
 * change is serialized once per content type, not once per subscriber.
 */
export class LiveEvent implements EventEnvelope {
  readonly type: EventEnvelope['type'];
  readonly id?: Key;
  readonly value?: unknown;
  readonly version?: number;
  readonly seq: number;
  /** False for events of an initial state: resuming from one of them could skip the rest of it. */
  readonly resumable: boolean;
  #encoded: Map<EventEncoder, string | Buffer> | undefined;
  #removal: LiveEvent | undefined;

  constructor(envelope: EventEnvelope, resumable = true) {
    this.type = envelope.type;
    if (envelope.id !== undefined) this.id = envelope.id;
    if (envelope.value !== undefined) this.value = envelope.value;
    if (envelope.version !== undefined) this.version = envelope.version;
    this.seq = envelope.seq;
    this.resumable = resumable;
  }

  static fromChange(change: ChangeEntry): LiveEvent {
    return new LiveEvent({ type: change.op, id: change.id, value: change.value, version: change.version, seq: change.seq });
  }

  toJSON(): EventEnvelope {
    const envelope: EventEnvelope = { type: this.type, seq: this.seq };
    if (this.id !== undefined) envelope.id = this.id;
    if (this.value !== undefined) envelope.value = this.value;
    if (this.version !== undefined) envelope.version = this.version;
    return envelope;
  }

  encode(encoder: EventEncoder): string | Buffer {
    this.#encoded ??= new Map();
    let encoded = this.#encoded.get(encoder);
    if (encoded === undefined) {
      encoded = encoder.encode(this.toJSON());
      this.#encoded.set(encoder, encoded);
    }
    return encoded;
  }

  /** The `delete` a filtered subscription sends when this put makes its record stop matching; shared too. */
  asRemoval(): LiveEvent {
    this.#removal ??= new LiveEvent({ type: 'delete', id: this.id, version: this.version, seq: this.seq }, this.resumable);
    return this.#removal;
  }
}
