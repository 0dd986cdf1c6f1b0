import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LiveEvent } from '../../../framework/src/realtime/index.js';
import { SSE_HEARTBEAT, sseFrame, sseLiveEvent } from '../../../framework/src/transport/sse-framing.js';

test('a resumable LiveEvent is framed with its type, its sequence as id, and its envelope as data', () => {
  const event = new LiveEvent({ type: 'put', id: 1, value: { name: 'a' }, version: 5, seq: 7 });
  assert.equal(sseFrame(event), 'event: put\nid: 7\ndata: {"type":"put","seq":7,"id":1,"value":{"name":"a"},"version":5}\n\n');
  const removal = new LiveEvent({ type: 'delete', id: 'k', version: 9, seq: 12 });
  assert.equal(sseFrame(removal), 'event: delete\nid: 12\ndata: {"type":"delete","seq":12,"id":"k","version":9}\n\n');
});

test('an event that cannot be resumed from has no id line (the browser keeps its last resume point)', () => {
  const snapshot = new LiveEvent({ type: 'put', id: 2, value: {}, version: 1, seq: 3 }, false);
  assert.equal(sseFrame(snapshot), 'event: put\ndata: {"type":"put","seq":3,"id":2,"value":{},"version":1}\n\n');
});

test('an event is framed once, however many streams send it', () => {
  const value = { n: 1 };
  const event = new LiveEvent({ type: 'put', id: 1, value, version: 1, seq: 1 });
  const first = sseLiveEvent(event);
  value.n = 2;
  assert.equal(sseLiveEvent(event), first, 'the second stream gets the cached frame');
  assert.equal(sseFrame(event), first);
  const snapshot = new LiveEvent({ type: 'put', id: 1, value, version: 1, seq: 1 }, false);
  assert.ok(!sseLiveEvent(snapshot).includes('id: '), 'the cache is per framing');
});

test('other values are JSON in one data field', () => {
  assert.equal(sseFrame({ id: 1, name: 'x' }), 'data: {"id":1,"name":"x"}\n\n', 'a record with an id is not mistaken for SSE fields');
  assert.equal(sseFrame('text'), 'data: "text"\n\n');
  assert.equal(sseFrame([1, 2]), 'data: [1,2]\n\n');
  assert.equal(sseFrame(null), 'data: null\n\n');
  assert.equal(sseFrame({ big: 2n ** 70n }), 'data: {"big":"1180591620717411303424"}\n\n');
});

test('an object with event or data gives the fields itself', () => {
  assert.equal(sseFrame({ event: 'tick', data: { n: 1 }, id: 4, retry: 2500 }), 'event: tick\nid: 4\nretry: 2500\ndata: {"n":1}\n\n');
  assert.equal(sseFrame({ data: 'raw text' }), 'data: raw text\n\n', 'string data is sent as text');
  assert.equal(sseFrame({ data: 'a\nb\r\nc\rd' }), 'data: a\ndata: b\ndata: c\ndata: d\n\n', 'one data line per line');
  assert.equal(sseFrame({ event: 'x\ny', data: 1 }), 'event: x y\ndata: 1\n\n', 'a newline cannot start another field');
  assert.equal(sseFrame({ event: 'ping' }), 'event: ping\n\n');
  assert.equal(sseFrame({ data: 1, retry: -5 }), 'data: 1\n\n', 'a negative retry is left out');
});

test('the heartbeat is a comment, which clients ignore', () => {
  assert.equal(SSE_HEARTBEAT, ':\n\n');
});
