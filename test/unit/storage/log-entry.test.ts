import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLogEntry, encodeLogEntry, logBody, logEntryOrigin, logEntryTime, logHeader, type LogRecord } from '../../../framework/src/storage/log-entry.js';

const put: LogRecord = { op: 'put', table: 'Ítem', id: 'a-1', version: 1_838_562_392_151_043, origin: 4_000_000_001, at: 1_795_471_087_521, value: { id: 'a-1', name: 'one', big: 2n ** 70n, tags: ['x'] }, expiresAt: 1_795_471_099_000 };

describe('change-log entries as stored', () => {
  test('every kind of entry decodes to what was encoded', () => {
    const entries: LogRecord[] = [
      put,
      { op: 'delete', table: 'Item', id: 'two', version: 5, origin: 1, at: 10, txn: 41 },
      { op: 'put', table: 'Item', id: 3, version: 6, origin: 2, at: 11, value: { id: 3, count: 4 }, set: { name: 'x' }, add: { count: 2 }, upsert: true },
      { op: 'message', table: 'Item', id: 4, version: 7, origin: 3, at: 12, value: { text: 'hello' } },
    ];
    for (const entry of entries) assert.deepEqual(decodeLogEntry(encodeLogEntry(entry)), entry);
  });

  test('the header gives the commit, origin, table and time without the body', () => {
    const bytes = encodeLogEntry({ ...put, txn: 99 });
    assert.deepEqual(logHeader(bytes), { at: put.at, txn: 99, origin: put.origin, table: 'Ítem' });
    assert.equal(logHeader(encodeLogEntry(put)).txn, undefined);
    assert.equal(logEntryTime(bytes), put.at);
    assert.equal(logEntryOrigin(bytes), put.origin);
  });

  test("another node's entry for the same write keeps the body bytes under its own header", () => {
    const theirs = encodeLogEntry(put);
    const ours = encodeLogEntry({ ...put, at: 5, txn: 7 }, logBody(theirs));
    assert.deepEqual(Buffer.from(logBody(ours)), Buffer.from(logBody(theirs)));
    assert.deepEqual(decodeLogEntry(ours), { ...put, at: 5, txn: 7 });
  });

  test('bytes that are not an entry are refused, not decoded into something', () => {
    const good = encodeLogEntry(put);
    const truncatedTable = good.subarray(0, 24);
    const otherFormat = Buffer.from(good);
    otherFormat[0] = 9;
    const bodyNotAnEntry = encodeLogEntry(put, Buffer.from([0x93, 1, 2, 3]));
    // Storage tells a record written elsewhere by its array form, so a put of an array is no record.
    const putOfAnArray = encodeLogEntry({ ...put, value: [7, { id: 'a-1' }] });
    for (const bytes of [new Uint8Array(0), truncatedTable, otherFormat, bodyNotAnEntry, putOfAnArray]) assert.throws(() => decodeLogEntry(bytes), /change-log entry/);
  });
});
