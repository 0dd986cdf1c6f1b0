/** A peer to connect to: its URL, and how far back a first connection reaches (instead of a full copy). */
export interface RouteOption {
  url: string;
  /** Ms since the epoch: a node with nothing from this peer yet takes only what the peer committed since. */
  startTime?: number;
}

export interface ReplicationOptions {
  /** This node's unique name in the cluster. */
  hostname: string;
  /** The shared cluster secret both ends prove they hold. */
  secret: string;
  routes: RouteOption[];
  /** `'*'`: every database with a replicated table; or the names of the databases to replicate. */
  databases: '*' | string[];
  /** How often each end pings an idle link, ms. */
  pingIntervalMs: number;
  /** A link that has heard nothing for this long is dead and is closed (then reconnected), ms. */
  pingTimeoutMs: number;
  /** Data sent and not confirmed for this long means a stalled stream: it is closed and restarted, ms. */
  stallTimeoutMs: number;
  /** Reconnect backoff: first delay and cap, ms (jittered). */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Roughly how many bytes of log entries one message carries. */
  batchBytes: number;
  /** Messages sent and not yet confirmed before the sender waits. */
  maxUnconfirmed: number;
  /** Records per full-copy message. */
  copyBatchRecords: number;
  /**
   * How long a sender holds back a message that only says how far it has read (its log moved on
   * with entries the peer did not ask for), ms: each such message costs the peer a commit.
   */
  progressDelayMs: number;
  /**
   * The shortest time between two messages of log entries while the log trickles in, ms: each
   * costs both ends a socket write and the peer a commit (a few hundred microseconds of CPU
   * whatever it holds), so at a steady rate of small writes what commits meanwhile goes with the
   * next message. A sender with a backlog sends full messages back to back.
   */
  sendIntervalMs: number;
}

export const defaultReplicationTuning = {
  pingIntervalMs: 5_000,
  pingTimeoutMs: 15_000,
  stallTimeoutMs: 30_000,
  reconnectMinMs: 100,
  reconnectMaxMs: 10_000,
  batchBytes: 256 * 1024,
  maxUnconfirmed: 16,
  copyBatchRecords: 500,
  progressDelayMs: 250,
  sendIntervalMs: 2,
} satisfies Partial<ReplicationOptions>;

/** The protocol version; a peer speaking another is refused. */
export const PROTOCOL_VERSION = 1;
