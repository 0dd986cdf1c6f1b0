import { Packr } from 'msgpackr';
import type { CopiedRecord, CopyProgress } from '../storage/index.js';

/** What a receiver asks a sender for: entries of these origins after its cursor, or a copy (resumed, or from a time). */
export interface Since {
  origins: number[];
  /** The sender's log sequence this node has applied up to. */
  cursor?: number;
  /** A full copy from this sender that was interrupted. */
  copy?: CopyProgress;
  /** No cursor yet: only what the sender committed since this time (a route's `startTime`), not a copy. */
  startTime?: number;
}

export type Message =
  | { t: 'challenge'; protocol: number; node: string; id: number; nonce: Uint8Array }
  | { t: 'hello'; protocol: number; node: string; id: number; database: string; nonce: Uint8Array; proof: Uint8Array; since: Since }
  | { t: 'welcome'; proof: Uint8Array; since: Since }
  | { t: 'refused'; reason: string }
  /** Log commits, each with the sender sequence of its last entry; `last`: the sender's log was read to here. */
  | { t: 'commits'; n: number; commits: Array<{ seq: number; entries: Uint8Array[] }>; last: number }
  /** Records of a full copy; `progress`: where the copy resumes after them. */
  | { t: 'copy'; n: number; table: string; records: CopiedRecord[]; progress: CopyProgress }
  /** The full copy is complete: the log follows from `start`. */
  | { t: 'copied'; n: number; start: number }
  /** Data message `n` is applied (and stored: a reconnect resumes after it). */
  | { t: 'ack'; n: number }
  | { t: 'ping'; at: number }
  | { t: 'pong'; at: number };

export type DataMessage = Extract<Message, { n: number; t: 'commits' | 'copy' | 'copied' }>;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, useBigIntExtension: true } as ConstructorParameters<typeof Packr>[0]);

export function encodeMessage(message: Message): Uint8Array {
  return packr.pack(message);
}

/** A message from a peer, checked for the shape its type needs; undefined for anything else. */
export function decodeMessage(bytes: Uint8Array): Message | undefined {
  let message: unknown;
  try {
    message = packr.unpack(bytes);
  } catch {
    return undefined;
  }
  return isMessage(message) ? message : undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array;
const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= 255;

function isSince(value: unknown): value is Since {
  if (!isRecord(value) || !Array.isArray(value.origins) || !value.origins.every(isCount)) return false;
  if (value.cursor !== undefined && !isCount(value.cursor)) return false;
  if (value.startTime !== undefined && typeof value.startTime !== 'number') return false;
  return value.copy === undefined || (isRecord(value.copy) && isCount(value.copy.start) && typeof value.copy.table === 'string' && typeof value.copy.phase === 'string');
}

function isMessage(value: unknown): value is Message {
  if (!isRecord(value)) return false;
  switch (value.t) {
    case 'challenge':
      return isCount(value.protocol) && isName(value.node) && isCount(value.id) && isBytes(value.nonce);
    case 'hello':
      return isCount(value.protocol) && isName(value.node) && isCount(value.id) && isName(value.database) && isBytes(value.nonce) && isBytes(value.proof) && isSince(value.since);
    case 'welcome':
      return isBytes(value.proof) && isSince(value.since);
    case 'refused':
      return typeof value.reason === 'string';
    case 'commits':
      return isCount(value.n) && isCount(value.last) && Array.isArray(value.commits) && value.commits.every((commit) => isRecord(commit) && isCount(commit.seq) && Array.isArray(commit.entries) && commit.entries.every(isBytes));
    case 'copy':
      return isCount(value.n) && typeof value.table === 'string' && Array.isArray(value.records) && isRecord(value.progress);
    case 'copied':
      return isCount(value.n) && isCount(value.start);
    case 'ack':
      return isCount(value.n);
    case 'ping':
    case 'pong':
      return typeof value.at === 'number';
    default:
      return false;
  }
}
