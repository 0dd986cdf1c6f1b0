import { Packr } from 'msgpackr';
import type { Key } from './types.js';
import { isPlainObject } from './validate.js';

/** A change-log entry, decoded. */
export interface LogRecord {
  op: 'put' | 'delete' | 'message';
  table: string;
  id: Key;
  version: number;
  origin: number;
  /** Local commit time (ms), what replay by `startTime` and retention go by. */
  at: number;
  /** The record for `put`, the published message for `message`. */
  value?: unknown;
  /** A patch: what it set and added. Peers merge these, not the whole record, so late patches keep newer changes. */
  set?: Record<string, unknown>;
  add?: Record<string, number>;
  /** The patch may create the record (an `addTo`, an upsert). */
  upsert?: true;
  expiresAt?: number;
  /** On every entry of a commit that wrote more than one: the commit's first sequence (peers apply commits whole). */
  txn?: number;
}

/** The part of an entry that is the same on every node that logs it: what peers merge. */
type LogBody = Omit<LogRecord, 'table' | 'origin' | 'at' | 'txn'>;

/**
 * How an entry is stored: a fixed header, then the body as self-contained msgpack (no shared
 * structures). A sender reads the header (commit, origin, table) without decoding anything, and
 * a node that applies a peer's put as it is logs the peer's body bytes under its own header.
 *
 *   0 format (1) · 1 at (f64) · 9 txn (f64, 0 for none) · 17 origin (u32) · 21 table length (u16) · 23 table (UTF-8) · body
 */
const FORMAT = 1;
const AT = 1;
const TXN = 9;
const ORIGIN = 17;
const TABLE_LENGTH = 21;
const TABLE = 23;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, useBigIntExtension: true } as ConstructorParameters<typeof Packr>[0]);

const view = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/** The stored bytes of `record`; `body` (a peer's, for the same write) is used as it is instead of encoding one. */
export function encodeLogEntry(record: LogRecord, body?: Uint8Array): Buffer {
  body ??= packr.pack(bodyOf(record));
  const tableLength = Buffer.byteLength(record.table);
  const bytes = Buffer.allocUnsafe(TABLE + tableLength + body.length);
  bytes[0] = FORMAT;
  bytes.writeDoubleLE(record.at, AT);
  bytes.writeDoubleLE(record.txn ?? 0, TXN);
  bytes.writeUInt32LE(record.origin, ORIGIN);
  bytes.writeUInt16LE(tableLength, TABLE_LENGTH);
  bytes.write(record.table, TABLE, 'utf8');
  bytes.set(body, TABLE + tableLength);
  return bytes;
}

function bodyOf(record: LogRecord): LogBody {
  const body: LogBody = { op: record.op, id: record.id, version: record.version };
  if (record.value !== undefined) body.value = record.value;
  if (record.set !== undefined) body.set = record.set;
  if (record.add !== undefined) body.add = record.add;
  if (record.upsert) body.upsert = true;
  if (record.expiresAt !== undefined) body.expiresAt = record.expiresAt;
  return body;
}

/** What a sender and retention read of an entry, without decoding its body. */
export interface LogHeader {
  at: number;
  /** The first sequence of the commit the entry belongs to when that commit wrote more than one; else undefined. */
  txn: number | undefined;
  origin: number;
  table: string;
}

export function logHeader(bytes: Uint8Array): LogHeader {
  return headerOf(checked(bytes));
}

function headerOf(buffer: Buffer): LogHeader {
  const txn = buffer.readDoubleLE(TXN);
  return { at: buffer.readDoubleLE(AT), txn: txn === 0 ? undefined : txn, origin: buffer.readUInt32LE(ORIGIN), table: buffer.toString('utf8', TABLE, bodyStart(buffer)) };
}

export function logEntryOrigin(bytes: Uint8Array): number {
  return checked(bytes).readUInt32LE(ORIGIN);
}

export function logEntryTime(bytes: Uint8Array): number {
  return checked(bytes).readDoubleLE(AT);
}

/** The body's bytes: what a node that logs the same write stores under its own header. */
export function logBody(bytes: Uint8Array): Uint8Array {
  const buffer = checked(bytes);
  return buffer.subarray(bodyStart(buffer));
}

/** The whole entry; throws on bytes that are not one (a peer's entry is checked before it is merged). */
export function decodeLogEntry(bytes: Uint8Array): LogRecord {
  const buffer = checked(bytes);
  const header = headerOf(buffer);
  const body = packr.unpack(buffer.subarray(bodyStart(buffer))) as unknown;
  if (!isBody(body)) throw new Error('A change-log entry has no valid body');
  const record = body as LogRecord;
  record.table = header.table;
  record.origin = header.origin;
  record.at = header.at;
  if (header.txn !== undefined) record.txn = header.txn;
  return record;
}

function checked(bytes: Uint8Array): Buffer {
  const buffer = view(bytes);
  if (buffer.length < TABLE || buffer[0] !== FORMAT || buffer.length < bodyStart(buffer)) throw new Error('Not a change-log entry');
  return buffer;
}

function bodyStart(buffer: Buffer): number {
  return TABLE + buffer.readUInt16LE(TABLE_LENGTH);
}

const OPS = new Set(['put', 'delete', 'message']);

function isBody(value: unknown): value is LogBody {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as Record<string, unknown>;
  if (typeof body.op !== 'string' || !OPS.has(body.op) || body.id === undefined || typeof body.version !== 'number') return false;
  // A record is an object, never an array (storage tells records written elsewhere by their array form).
  return body.op !== 'put' || isPlainObject(body.value);
}
