import type { DatabaseReplica, Storage } from '../storage/index.js';
import type { Logger } from '../util/index.js';
import type { ReplicationOptions, RouteOption } from './options.js';
import { CloseCode, realTimers, type LinkEvents, type PeerLink, type Timers } from './peer-link.js';
import { PeerSession, type SessionHost } from './peer-session.js';

/** Opens an outbound link to a peer for one database; it reports through `events`. */
export type Connect = (url: string, database: string, events: LinkEvents) => PeerLink;

export interface ReplicatorOptions {
  storage: Storage;
  options: ReplicationOptions;
  connect: Connect;
  logger: Logger;
  timers?: Timers;
  /** Jitter for reconnect delays (seeded in simulations). */
  random?: () => number;
}

export interface PeerStatus {
  name: string;
  nodeId: number;
  database: string;
  role: 'initiator' | 'acceptor';
  /** The sequence of this node's log the link has sent up to. */
  sentTo: number;
}

/** One route to one database: connects, and reconnects with capped, jittered exponential backoff. */
class Connector {
  #attempts = 0;
  #timer: unknown;
  #session: PeerSession | undefined;
  #stopped = false;

  constructor(
    readonly route: RouteOption,
    readonly database: string,
    readonly replicator: Replicator,
  ) {}

  start(): void {
    if (this.#stopped) return;
    this.#session = this.replicator.connectOut(this);
  }

  established(): void {
    this.#attempts = 0;
  }

  /** The link closed: try again after the backoff, unless the replicator is closing. */
  closed(session: PeerSession): void {
    if (this.#session !== session || this.#stopped) return;
    this.#session = undefined;
    const { reconnectMinMs, reconnectMaxMs } = this.replicator.options;
    const ceiling = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** this.#attempts++);
    this.#timer = this.replicator.timers.setTimeout(() => this.start(), ceiling / 2 + this.replicator.random() * (ceiling / 2));
  }

  stop(): void {
    this.#stopped = true;
    this.replicator.timers.clearTimeout(this.#timer);
    this.#session?.close(CloseCode.normal, 'shutting down');
  }
}

/**
 * This node's replication: outbound links to its routes and inbound links accepted by the app,
 * one link per peer and database (when both ends connect, both keep the same one), each a
 * `PeerSession` that streams this node's log to the peer and applies the peer's.
 */
export class Replicator {
  readonly storage: Storage;
  readonly options: ReplicationOptions;
  readonly timers: Timers;
  readonly random: () => number;
  readonly #connect: Connect;
  readonly #logger: Logger;
  readonly #connectors = new Map<string, Connector>();
  readonly #sessions = new Set<PeerSession>();
  readonly #live = new Map<string, PeerSession>();
  readonly #connectorOf = new WeakMap<PeerSession, Connector>();
  readonly #host: SessionHost;
  #closed = false;

  constructor(init: ReplicatorOptions) {
    this.storage = init.storage;
    this.options = init.options;
    this.timers = init.timers ?? realTimers;
    this.random = init.random ?? Math.random;
    this.#connect = init.connect;
    this.#logger = init.logger;
    this.#host = {
      nodeId: this.storage.nodeId,
      options: this.options,
      timers: this.timers,
      logger: this.#logger,
      replica: (database) => this.#replica(database),
      established: (session) => this.#established(session),
      closed: (session, code, reason) => this.#sessionClosed(session, code, reason),
    };
  }

  /** The databases this node replicates now: every one with a replicated table, or those configured. */
  databases(): string[] {
    const replicated = this.storage.replicatedDatabases();
    const { databases } = this.options;
    return databases === '*' ? replicated : replicated.filter((name) => databases.includes(name));
  }

  /** Connects to every route for every replicated database not connected yet (again after a schema change). */
  refresh(): void {
    if (this.#closed) return;
    for (const database of this.databases()) {
      for (const route of this.options.routes) {
        const key = `${route.url} ${database}`;
        if (this.#connectors.has(key)) continue;
        const connector = new Connector(route, database, this);
        this.#connectors.set(key, connector);
        connector.start();
      }
    }
  }

  /** An inbound link (the app accepted a socket): the peer names the database in its hello. */
  accept(link: PeerLink): LinkEvents {
    const session = new PeerSession(this.#host, { role: 'acceptor', link });
    if (this.#closed) {
      link.close(CloseCode.normal, 'shutting down');
      return session;
    }
    this.#sessions.add(session);
    session.open();
    return session;
  }

  /** Internal (the connector): opens an outbound session. */
  connectOut(connector: Connector): PeerSession {
    // The link reports to the session, which needs the link: events before the session exists have no one to go to.
    const ends: { session?: PeerSession } = {};
    const events: LinkEvents = {
      open: () => ends.session?.open(),
      message: (bytes) => ends.session?.message(bytes),
      drain: () => ends.session?.drain(),
      close: (code, reason) => ends.session?.close(code, reason),
    };
    const link = this.#connect(connector.route.url, connector.database, events);
    const session = (ends.session = new PeerSession(this.#host, { role: 'initiator', link, database: connector.database, ...(connector.route.startTime !== undefined && { startTime: connector.route.startTime }) }));
    this.#sessions.add(session);
    this.#connectorOf.set(session, connector);
    return session;
  }

  status(): PeerStatus[] {
    return [...this.#live.values()].map((session) => ({
      name: session.peerName,
      nodeId: session.peerId,
      database: session.database ?? '',
      role: session.role,
      sentTo: session.progress.position,
    }));
  }

  /** Resolves once every link has applied what it received so far (tests and simulations). */
  async idle(): Promise<void> {
    await Promise.all([...this.#sessions].map((session) => session.idle()));
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const connector of this.#connectors.values()) connector.stop();
    for (const session of [...this.#sessions]) session.close(CloseCode.normal, 'shutting down');
    await this.idle();
  }

  #replica(database: string): DatabaseReplica | undefined {
    return this.databases().includes(database) ? this.storage.replica(database) : undefined;
  }

  /** Both ends decide alike which of two links between them to keep: the later-opened one of the same initiator, else the lower initiator's. */
  #established(session: PeerSession): boolean {
    const key = `${session.peerId} ${session.database}`;
    const existing = this.#live.get(key);
    if (existing !== undefined && existing !== session && existing.isOpen) {
      const keepNew = existing.initiatorId === session.initiatorId ? true : session.initiatorId < existing.initiatorId;
      if (!keepNew) return false;
      existing.close(CloseCode.duplicate, 'replaced by another link');
    }
    this.#live.set(key, session);
    this.#connectorOf.get(session)?.established();
    this.#logger.info(`Replication: connected to ${session.peerName} for ${session.database}`);
    return true;
  }

  #sessionClosed(session: PeerSession, code: number, reason: string): void {
    this.#sessions.delete(session);
    const key = `${session.peerId} ${session.database}`;
    if (this.#live.get(key) === session) {
      this.#live.delete(key);
      this.#logger.info(`Replication: disconnected from ${session.peerName} for ${session.database} (${code}: ${reason})`);
    }
    this.#connectorOf.get(session)?.closed(session);
  }
}
