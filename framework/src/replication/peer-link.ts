/**
 * A message channel to a peer: a WebSocket in production, a simulated connection in tests. The
 * owner of the channel passes what happens on it to the session through `LinkEvents`.
 */
export interface PeerLink {
  /** Sends one binary message; false when the channel's buffer is over its limit (wait for `drain`). */
  send(message: Uint8Array): boolean;
  close(code: number, reason: string): void;
  /** Stops delivering incoming messages until `resume`: the receiver's back-pressure. */
  pause(): void;
  resume(): void;
  /** Where the other end is, for logs. */
  readonly remote: string;
}

export interface LinkEvents {
  /** An outbound link is connected (inbound links are connected when they are accepted). */
  open(): void;
  message(bytes: Uint8Array): void;
  /** The link's buffer drained after `send` returned false. */
  drain(): void;
  close(code: number, reason: string): void;
}

/** Time as replication sees it: real timers in production, a simulated clock in tests. */
export interface Timers {
  /** Milliseconds on a clock that only moves forward (heartbeats measure intervals, not dates). */
  now(): number;
  setTimeout(action: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (action, ms) => setTimeout(action, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Close codes a session uses (WebSocket application range). */
export const CloseCode = {
  normal: 1000,
  protocol: 4400,
  unauthorized: 4401,
  unknownDatabase: 4404,
  duplicate: 4409,
  dead: 4408,
  stalled: 4504,
  failed: 4500,
} as const;
