import type { DatabaseReplica } from '../storage/index.js';
import type { Logger } from '../util/index.js';
import { isProofValid, newNonce, proofOf } from './handshake.js';
import { LogReceiver } from './log-receiver.js';
import { LogSender } from './log-sender.js';
import { decodeMessage, encodeMessage, type Message, type Since } from './messages.js';
import { PROTOCOL_VERSION, type ReplicationOptions } from './options.js';
import { CloseCode, type LinkEvents, type PeerLink, type Timers } from './peer-link.js';

export type SessionRole = 'initiator' | 'acceptor';

const DUPLICATE_REASON = 'already connected';

/** What a session needs of its node. */
export interface SessionHost {
  readonly nodeId: number;
  readonly options: ReplicationOptions;
  readonly timers: Timers;
  readonly logger: Logger;
  /** The replica of a database this node replicates; undefined refuses the peer. */
  replica(database: string): DatabaseReplica | undefined;
  /** The handshake is done; false when another link to the same peer and database is kept instead. */
  established(session: PeerSession): boolean;
  closed(session: PeerSession, code: number, reason: string): void;
}

export interface SessionOptions {
  role: SessionRole;
  link: PeerLink;
  /** For an initiator: the database to replicate, and the route's `startTime`. */
  database?: string;
  startTime?: number;
}

/**
 * One link to a peer for one database: the handshake (both ends prove the cluster secret), then
 * this node's log streamed one way and the peer's applied the other, with heartbeats that close a
 * dead or stalled link so that it is reconnected and resumes from its cursors.
 */
export class PeerSession implements LinkEvents {
  readonly role: SessionRole;
  readonly link: PeerLink;
  readonly #host: SessionHost;
  readonly #nonce = newNonce();
  readonly #startTime: number | undefined;
  #database: string | undefined;
  #replica: DatabaseReplica | undefined;
  #peerId = 0;
  #peerName = '';
  #state: 'connecting' | 'handshake' | 'open' | 'closed' = 'connecting';
  #sender: LogSender | undefined;
  #receiver: LogReceiver | undefined;
  #heartbeat: unknown;
  #lastHeard: number;
  #lastSent: number;
  /** When the link opened: between the two ends, the later of two links to the same peer wins. */
  readonly openedAt: number;

  constructor(host: SessionHost, options: SessionOptions) {
    this.#host = host;
    this.role = options.role;
    this.link = options.link;
    this.#database = options.database;
    this.#startTime = options.startTime;
    this.#lastHeard = this.#lastSent = this.openedAt = host.timers.now();
  }

  get peerId(): number {
    return this.#peerId;
  }

  get peerName(): string {
    return this.#peerName;
  }

  get database(): string | undefined {
    return this.#database;
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** The node that opened the link. */
  get initiatorId(): number {
    return this.role === 'initiator' ? this.#host.nodeId : this.#peerId;
  }

  /** What the sender has read of this node's log, and what the peer has confirmed (message numbers). */
  get progress(): { position: number; confirmed: number } {
    return { position: this.#sender?.position ?? 0, confirmed: this.#sender?.confirmed ?? 0 };
  }

  /** Resolves once everything received so far is applied. */
  async idle(): Promise<void> {
    await this.#receiver?.idle();
  }

  open(): void {
    this.#state = 'handshake';
    this.#lastHeard = this.#host.timers.now();
    this.#scheduleHeartbeat();
    if (this.role === 'acceptor') {
      this.#send({ t: 'challenge', protocol: PROTOCOL_VERSION, node: this.#host.options.hostname, id: this.#host.nodeId, nonce: this.#nonce });
    }
  }

  message(bytes: Uint8Array): void {
    if (this.#state === 'closed') return;
    this.#lastHeard = this.#host.timers.now();
    const message = decodeMessage(bytes);
    if (message === undefined) return this.close(CloseCode.protocol, 'malformed message');
    try {
      this.#handle(message);
    } catch (error) {
      this.#host.logger.error(`Replication: a message from ${this.#describe()} could not be handled`, error);
      this.close(CloseCode.failed, 'internal error');
    }
  }

  drain(): void {
    this.#sender?.drained();
  }

  close(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#sender?.stop();
    this.#host.timers.clearTimeout(this.#heartbeat);
    this.link.close(code, reason);
    this.#host.closed(this, code, reason);
  }

  #handle(message: Message): void {
    switch (message.t) {
      case 'challenge':
        return this.#onChallenge(message);
      case 'hello':
        return this.#onHello(message);
      case 'welcome':
        return this.#onWelcome(message);
      case 'refused':
        // Both ends routing to each other is normal: the refused link is the one they agreed not to keep.
        if (message.reason !== DUPLICATE_REASON) this.#host.logger.warn(`Replication: ${this.link.remote} refused this node for ${this.#database}: ${message.reason}`);
        return this.close(CloseCode.normal, 'refused');
      case 'ping':
        this.#send({ t: 'pong', at: message.at });
        return;
      case 'pong':
        return;
      case 'ack':
        this.#sender?.confirm(message.n);
        return;
      default:
        if (this.#state !== 'open' || this.#receiver === undefined) return this.close(CloseCode.protocol, 'data before the handshake');
        this.#receiver.receive(message);
    }
  }

  #onChallenge(message: Message & { t: 'challenge' }): void {
    if (this.role !== 'initiator' || this.#state !== 'handshake') return this.close(CloseCode.protocol, 'unexpected challenge');
    if (message.protocol !== PROTOCOL_VERSION) return this.#refuse(CloseCode.protocol, `protocol ${message.protocol} is not ${PROTOCOL_VERSION}`);
    const database = this.#database!;
    this.#replica = this.#host.replica(database);
    if (this.#replica === undefined) return this.close(CloseCode.unknownDatabase, 'database not replicated here');
    this.#peerId = message.id;
    this.#peerName = message.node;
    const { secret, hostname } = this.#host.options;
    const proof = proofOf(secret, 'initiator', message.nonce, database, this.#host.nodeId);
    this.#send({ t: 'hello', protocol: PROTOCOL_VERSION, node: hostname, id: this.#host.nodeId, database, nonce: this.#nonce, proof, since: this.#since() });
  }

  #onHello(message: Message & { t: 'hello' }): void {
    if (this.role !== 'acceptor' || this.#state !== 'handshake') return this.close(CloseCode.protocol, 'unexpected hello');
    const { secret } = this.#host.options;
    this.#peerId = message.id;
    this.#peerName = message.node;
    this.#database = message.database;
    if (!isProofValid(proofOf(secret, 'initiator', this.#nonce, message.database, message.id), message.proof)) {
      return this.#refuse(CloseCode.unauthorized, 'the cluster secret does not match');
    }
    if (message.protocol !== PROTOCOL_VERSION) return this.#refuse(CloseCode.protocol, `protocol ${message.protocol} is not ${PROTOCOL_VERSION}`);
    if (message.id === this.#host.nodeId) return this.#refuse(CloseCode.protocol, 'the peer has this node\'s id');
    this.#replica = this.#host.replica(message.database);
    if (this.#replica === undefined) return this.#refuse(CloseCode.unknownDatabase, `database ${message.database} is not replicated here`);
    if (!this.#host.established(this)) return this.#refuse(CloseCode.duplicate, DUPLICATE_REASON);
    this.#send({ t: 'welcome', proof: proofOf(secret, 'acceptor', message.nonce, message.database, this.#host.nodeId), since: this.#since() });
    this.#start(message.since);
  }

  #onWelcome(message: Message & { t: 'welcome' }): void {
    if (this.role !== 'initiator' || this.#state !== 'handshake' || this.#replica === undefined) return this.close(CloseCode.protocol, 'unexpected welcome');
    const expected = proofOf(this.#host.options.secret, 'acceptor', this.#nonce, this.#database!, this.#peerId);
    if (!isProofValid(expected, message.proof)) {
      this.#host.logger.warn(`Replication: ${this.link.remote} did not prove the cluster secret; closing`);
      return this.close(CloseCode.unauthorized, 'the cluster secret does not match');
    }
    if (!this.#host.established(this)) return this.close(CloseCode.duplicate, 'already connected');
    this.#start(message.since);
  }

  /** What this node asks the peer for: its own writes, after the cursor stored for it. */
  #since(): Since {
    const replica = this.#replica!;
    const since: Since = { origins: [this.#peerId] };
    const cursor = replica.cursors(this.#peerId).get(this.#peerId);
    if (cursor !== undefined) since.cursor = cursor;
    const copy = replica.copyProgress(this.#peerId);
    if (copy !== undefined) since.copy = copy;
    if (cursor === undefined && copy === undefined && this.#startTime !== undefined) since.startTime = this.#startTime;
    return since;
  }

  #start(since: Since): void {
    this.#state = 'open';
    const replica = this.#replica!;
    const { options, logger } = this.#host;
    this.#receiver = new LogReceiver(replica, this.#peerId, {
      confirm: (n) => this.#send({ t: 'ack', n }),
      pause: () => this.link.pause(),
      resume: () => this.link.resume(),
      fail: (error) => {
        logger.error(`Replication: applying what ${this.#describe()} sent failed`, error);
        this.close(CloseCode.failed, 'apply failed');
      },
    });
    this.#sender = new LogSender(replica, { send: (message) => this.#send(message), timers: this.#host.timers }, options, logger, this.#describe());
    this.#sender.run(since).catch((error: unknown) => {
      logger.error(`Replication: sending to ${this.#describe()} failed`, error);
      this.close(CloseCode.failed, 'send failed');
    });
  }

  #refuse(code: number, reason: string): void {
    if (code !== CloseCode.duplicate) this.#host.logger.warn(`Replication: refused ${this.link.remote} (${this.#peerName || 'unnamed'}) for ${this.#database ?? 'a database'}: ${reason}`);
    this.#send({ t: 'refused', reason });
    this.close(code, reason);
  }

  #send(message: Message): boolean {
    if (this.#state === 'closed') return true;
    this.#lastSent = this.#host.timers.now();
    return this.link.send(encodeMessage(message));
  }

  #scheduleHeartbeat(): void {
    const { pingIntervalMs } = this.#host.options;
    this.#heartbeat = this.#host.timers.setTimeout(() => this.#beat(), pingIntervalMs);
  }

  #beat(): void {
    if (this.#state === 'closed') return;
    const { pingTimeoutMs, pingIntervalMs, stallTimeoutMs } = this.#host.options;
    const now = this.#host.timers.now();
    if (now - this.#lastHeard >= pingTimeoutMs) return this.close(CloseCode.dead, 'no answer from the peer');
    const unconfirmedSince = this.#sender?.unconfirmedSince;
    if (unconfirmedSince !== undefined && now - unconfirmedSince >= stallTimeoutMs) return this.close(CloseCode.stalled, 'the peer stopped confirming');
    if (now - this.#lastSent >= pingIntervalMs || now - this.#lastHeard >= pingIntervalMs) this.#send({ t: 'ping', at: now });
    this.#scheduleHeartbeat();
  }

  #describe(): string {
    return `${this.#peerName || this.link.remote} (${this.#database ?? '?'})`;
  }
}
