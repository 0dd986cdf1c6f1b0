import { LiveEvent, type EventEncoder, type EventEnvelope } from '../realtime/index.js';
import { encodeJson } from './codecs.js';

/** A comment line: keeps idle connections (and the proxies between) open. */
export const SSE_HEARTBEAT = ':\n\n';

/** The last words to a subscriber cut off for falling behind. */
export const SSE_SLOW_CONSUMER = ': slow consumer, reconnect with Last-Event-ID\n\n';

function envelopeFrame(envelope: unknown, withId: boolean): string {
  const { type, seq } = envelope as EventEnvelope;
  return withId ? `event: ${type}\nid: ${seq}\ndata: ${encodeJson(envelope)}\n\n` : `event: ${type}\ndata: ${encodeJson(envelope)}\n\n`;
}

/**
 * Two encoders because `LiveEvent.encode` caches per encoder and the envelope it passes has no
 * `resumable` flag: the `id:` line (the browser's `Last-Event-ID`) goes only on resumable events.
 */
const resumableEncoder: EventEncoder = { encode: (envelope) => envelopeFrame(envelope, true) };
const snapshotEncoder: EventEncoder = { encode: (envelope) => envelopeFrame(envelope, false) };

/** `event: <type>`, `id: <seq>` when it can be resumed from, `data: <envelope as JSON>`; built once per event. */
export function sseLiveEvent(event: LiveEvent): string {
  return event.encode(event.resumable ? resumableEncoder : snapshotEncoder) as string;
}

/** Field values must stay on one line, or the rest would be read as other fields. */
function oneLine(value: unknown): string {
  return String(value).replace(/[\r\n]+/g, ' ');
}

/** A string is sent as its text (one `data:` line per line of it); anything else as JSON. */
function dataLines(data: unknown): string {
  const text = typeof data === 'string' ? data : encodeJson(data);
  return `data: ${text.split(/\r\n|\r|\n/).join('\ndata: ')}\n`;
}

interface SseMessage {
  event?: unknown;
  data?: unknown;
  id?: unknown;
  retry?: unknown;
}

/** Harper's form: an object with `event` or `data` is a message given field by field. */
function isSseMessage(value: unknown): value is SseMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return false;
  return 'data' in value || 'event' in value;
}

/** One event in the `text/event-stream` format for a value `connect` yielded. */
export function sseFrame(value: unknown): string {
  if (value instanceof LiveEvent) return sseLiveEvent(value);
  if (!isSseMessage(value)) return `data: ${encodeJson(value)}\n\n`;
  let frame = '';
  if (value.event !== undefined) frame += `event: ${oneLine(value.event)}\n`;
  if (value.id !== undefined) frame += `id: ${oneLine(value.id)}\n`;
  if (typeof value.retry === 'number' && value.retry >= 0) frame += `retry: ${Math.floor(value.retry)}\n`;
  if (value.data !== undefined) frame += dataLines(value.data);
  return `${frame}\n`;
}
