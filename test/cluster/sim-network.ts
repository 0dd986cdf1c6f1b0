import type { Connect, LinkEvents, PeerLink } from '../../framework/src/replication/index.js';
import { decodeMessage, type Message } from '../../framework/src/replication/messages.js';
import type { SimRandom } from './sim-random.js';
import type { Scheduler } from './sim-scheduler.js';

/** What a node does with a connection made to it: its replicator's `accept`. */
export type Accept = (link: PeerLink) => LinkEvents;

const LOST = 1006;

type ConnectionState = 'connecting' | 'open' | 'broken';

class SimConnection {
  state: ConnectionState = 'connecting';
  constructor(
    readonly id: number,
    readonly initiator: SimEnd,
    readonly acceptor: SimEnd,
  ) {}

  ends(): SimEnd[] {
    return [this.initiator, this.acceptor];
  }
}

/** One end of a simulated TCP connection: what a session sends arrives in order, after a random delay. */
class SimEnd implements PeerLink {
  events: LinkEvents | undefined;
  other!: SimEnd;
  connection!: SimConnection;
  /** This end reports nothing more: its session closed it, it heard the close, or its process died. */
  closed = false;
  paused = false;
  readonly inbox: Uint8Array[] = [];
  /** When the last message sent from this end arrives: later ones never overtake it. */
  lastArrival = 0;
  /** Messages on their way that will arrive together, while they have not arrived. */
  segment: { time: number; messages: Uint8Array[] } | undefined;

  constructor(
    readonly network: SimNetwork,
    readonly node: string,
    readonly remote: string,
  ) {}

  send(message: Uint8Array): boolean {
    return this.network.transmit(this, message);
  }

  close(code: number, reason: string): void {
    this.network.closeEnd(this, code, reason);
  }

  pause(): void {
    if (!this.paused) this.network.counts.pauses++;
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.network.scheduleFlush(this);
  }

  flush(): void {
    while (!this.paused && !this.closed && this.inbox.length > 0) this.events?.message(this.inbox.shift()!);
  }
}

const nameOf = (url: string): string => url.replace(/^sim:\/\//, '');

function describe(message: Message | undefined): string {
  if (message === undefined) return 'garbage';
  switch (message.t) {
    case 'commits':
      return `commits #${message.n} (${message.commits.length} commits, read to ${message.last})`;
    case 'copy':
      return `copy #${message.n} ${message.table} ${message.records.length} records`;
    case 'copied':
      return `copied #${message.n} from ${message.start}`;
    case 'ack':
      return `ack #${message.n}`;
    default:
      return message.t;
  }
}

/**
 * The simulated network between nodes: connections that keep each direction in order with random
 * delays, buffers that fill now and then (back-pressure), drops, partitions and slow spells.
 */
export class SimNetwork {
  readonly #scheduler: Scheduler;
  readonly #random: SimRandom;
  readonly #trace: (line: string) => void;
  readonly #endpoints = new Map<string, Accept>();
  readonly #connections = new Set<SimConnection>();
  #groups: Map<string, number> | undefined;
  #nextId = 1;
  /** Until then, messages take long enough for links to look dead or stalled. */
  slowUntil = 0;
  /** How often `send` reports a full buffer. */
  fullBufferChance = 0.05;
  /** How often a message joins the ones still on their way, to arrive with them in one step. */
  coalesceChance = 0.3;
  /** What happened on the wire, for the run's statistics. */
  readonly counts = { messages: 0, fullBuffers: 0, pauses: 0, copies: 0 };
  /** `from>to`: the log position of the newest full copy `to` received from `from`. */
  readonly copyStarts = new Map<string, number>();

  constructor(scheduler: Scheduler, random: SimRandom, trace: (line: string) => void) {
    this.#scheduler = scheduler;
    this.#random = random;
    this.#trace = trace;
  }

  /** A node's process is up and accepts connections. */
  listen(node: string, accept: Accept): void {
    this.#endpoints.set(node, accept);
  }

  /** A node's process died: its connections break, its own ends fall silent, peers hear a lost connection. */
  kill(node: string): void {
    this.#endpoints.delete(node);
    for (const connection of [...this.#connections]) {
      const own = connection.ends().filter((end) => end.node === node);
      if (own.length === 0) continue;
      for (const end of own) end.closed = true;
      this.#break(connection, `${node} died`);
    }
  }

  connector(from: string): Connect {
    return (url, _database, events) => this.#connect(from, nameOf(url), events);
  }

  reachable(a: string, b: string): boolean {
    return this.#groups === undefined || this.#groups.get(a) === this.#groups.get(b);
  }

  get partitioned(): boolean {
    return this.#groups !== undefined;
  }

  /** Splits the nodes into groups: connections across the cut break, connects across it fail. */
  partition(groups: string[][]): void {
    this.#groups = new Map(groups.flatMap((group, index) => group.map((node) => [node, index] as const)));
    this.#trace(`partition ${groups.map((group) => group.join(',')).join(' | ')}`);
    for (const connection of [...this.#connections]) {
      if (!this.reachable(connection.initiator.node, connection.acceptor.node)) this.#break(connection, 'partitioned');
    }
  }

  heal(): void {
    if (this.#groups !== undefined) this.#trace('partition healed');
    this.#groups = undefined;
  }

  /** Breaks one open connection at random; false when there is none. */
  dropOne(): boolean {
    const open = [...this.#connections].filter((connection) => connection.state === 'open');
    if (open.length === 0) return false;
    const connection = this.#random.pick(open);
    this.#trace(`drop connection ${connection.id} ${connection.initiator.node}-${connection.acceptor.node}`);
    this.#break(connection, 'connection reset');
    return true;
  }

  transmit(end: SimEnd, message: Uint8Array): boolean {
    const connection = end.connection;
    if (end.closed || connection.state !== 'open') return true;
    this.counts.messages++;
    const segment = end.segment;
    const arrival = Math.max(this.#scheduler.now + this.#delay(), end.lastArrival);
    // Messages that reach the other end together are delivered in one step, as TCP coalesces them: a burst the receiver must queue.
    if (segment !== undefined && (segment.time === arrival || this.#random.chance(this.coalesceChance))) segment.messages.push(message);
    else this.#segment(end, arrival, message);
    if (!this.#random.chance(this.fullBufferChance)) return true;
    this.counts.fullBuffers++;
    this.#scheduler.at(end.lastArrival, `${end.node} [${connection.id}] drained`, () => {
      if (!end.closed && connection.state === 'open') end.events?.drain();
    });
    return false;
  }

  #segment(end: SimEnd, arrival: number, message: Uint8Array): void {
    const { connection, other } = end;
    const segment = { time: arrival, messages: [message] };
    end.segment = segment;
    end.lastArrival = arrival;
    this.#scheduler.at(arrival, `${end.node}→${other.node} [${connection.id}] arrives`, () => {
      if (end.segment === segment) end.segment = undefined;
      if (other.closed || connection.state !== 'open') return;
      for (const bytes of segment.messages) {
        const decoded = decodeMessage(bytes);
        this.#trace(`  ${describe(decoded)}`);
        if (decoded?.t === 'copied') {
          this.counts.copies++;
          const key = `${end.node}>${other.node}`;
          this.copyStarts.set(key, Math.max(this.copyStarts.get(key) ?? 0, decoded.start));
        }
        other.inbox.push(bytes);
      }
      other.flush();
    });
  }

  closeEnd(end: SimEnd, code: number, reason: string): void {
    if (end.closed) return;
    end.closed = true;
    const { connection, other } = end;
    // Closed while connecting: the connect finds the initiator gone and forgets the connection.
    if (connection.state !== 'open') return;
    if (other.closed) {
      this.#connections.delete(connection);
      return;
    }
    // A close frame follows the data already sent on the same stream.
    const arrival = Math.max(this.#scheduler.now + this.#delay(), end.lastArrival);
    this.#scheduler.at(arrival, `${end.node}→${other.node} [${connection.id}] close ${code} ${reason}`, () => {
      if (other.closed || connection.state !== 'open') return;
      other.closed = true;
      this.#connections.delete(connection);
      other.events?.close(code, reason);
    });
  }

  scheduleFlush(end: SimEnd): void {
    this.#scheduler.at(this.#scheduler.now, `${end.node} [${end.connection.id}] resumed`, () => end.flush());
  }

  #connect(from: string, to: string, events: LinkEvents): PeerLink {
    const initiator = new SimEnd(this, from, `sim://${to}`);
    const acceptor = new SimEnd(this, to, `sim://${from}`);
    const connection = new SimConnection(this.#nextId++, initiator, acceptor);
    initiator.events = events;
    initiator.other = acceptor;
    acceptor.other = initiator;
    initiator.connection = acceptor.connection = connection;
    this.#connections.add(connection);
    this.#scheduler.after(this.#delay(), `${from}→${to} [${connection.id}] connect`, () => {
      // A break while connecting (a partition, a crash) reports the failure itself.
      if (connection.state === 'broken') return;
      if (initiator.closed) {
        this.#connections.delete(connection);
        return;
      }
      const accept = this.#endpoints.get(to);
      if (accept === undefined || !this.reachable(from, to)) {
        initiator.closed = true;
        this.#connections.delete(connection);
        return events.close(LOST, 'unreachable');
      }
      connection.state = 'open';
      acceptor.events = accept(acceptor);
      if (!initiator.closed) events.open();
    });
    return initiator;
  }

  #break(connection: SimConnection, why: string): void {
    if (connection.state === 'broken') return;
    const wasOpen = connection.state === 'open';
    connection.state = 'broken';
    this.#connections.delete(connection);
    for (const end of connection.ends()) {
      if (end.closed || (!wasOpen && end === connection.acceptor)) continue;
      this.#scheduler.after(this.#random.int(0, 20), `${end.node} [${connection.id}] lost: ${why}`, () => {
        if (end.closed) return;
        end.closed = true;
        end.events?.close(LOST, why);
      });
    }
  }

  #delay(): number {
    if (this.#scheduler.now < this.slowUntil) return this.#random.int(50, 600);
    return this.#random.chance(0.03) ? this.#random.int(30, 250) : this.#random.int(1, 12);
  }
}
