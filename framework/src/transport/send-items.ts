import type { Framing } from './codecs.js';
import type { HttpExchange } from './exchange.js';

/** A result that encodes to less than this is sent whole, with a Content-Length, without going async. */
const WHOLE_RESPONSE_BYTES = 64 * 1024;

/** How many leading items a framing with `prepare` sees before anything is encoded (CSV's columns). */
const SAMPLE_ITEMS = 256;

type Part = string | Buffer;

/** Pulls up to `SAMPLE_ITEMS` items into `sample`; true when the source ended. */
function pullSample(iterator: Iterator<unknown>, sample: unknown[]): boolean {
  while (sample.length < SAMPLE_ITEMS) {
    const next = iterator.next();
    if (next.done) return true;
    sample.push(next.value);
  }
  return false;
}

/**
 * Sends a collection. A synchronous iterable is encoded in the uWS callback until it ends or
 * passes `WHOLE_RESPONSE_BYTES`: small results (most queries with a limit) go out as one corked
 * write, larger ones continue as a stream with back-pressure, never holding the whole result.
 */
export function sendItems(exchange: HttpExchange, status: number, headers: Record<string, string>, items: Iterable<unknown> | AsyncIterable<unknown>, framing: Framing): Promise<void> | void {
  if (!(Symbol.iterator in items)) return streamItems(exchange, status, headers, items[Symbol.asyncIterator](), framing, undefined);
  const iterator = items[Symbol.iterator]();
  const parts: Part[] = [];
  let size = 0;
  let ended = false;
  try {
    if (framing.prepare) {
      const sample: unknown[] = [];
      ended = pullSample(iterator, sample);
      framing.prepare(sample);
      for (const item of sample) {
        const part = framing.encode(item);
        parts.push(part);
        size += part.length;
      }
    }
    while (!ended && size < WHOLE_RESPONSE_BYTES) {
      const next = iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      const part = framing.encode(next.value);
      parts.push(part);
      size += part.length;
    }
  } catch (error) {
    iterator.return?.();
    throw error;
  }
  if (ended) return exchange.send(status, headers, joinParts(framing, parts, true), exchange.method === 'HEAD');
  return streamItems(exchange, status, headers, iterator, framing, parts);
}

function asBuffer(part: Part): Buffer {
  return typeof part === 'string' ? Buffer.from(part) : part;
}

/** The opening, the parts with separators, and the closing when `closed`. */
function joinParts(framing: Framing, parts: Part[], closed: boolean): Part {
  const open = framing.open();
  const close = closed ? framing.close : '';
  if (typeof open === 'string' && typeof close === 'string' && parts.every((part) => typeof part === 'string')) return open + parts.join(framing.separator) + close;
  const buffers = [asBuffer(open)];
  const separator = framing.separator === '' ? undefined : Buffer.from(framing.separator);
  parts.forEach((part, index) => {
    if (separator && index > 0) buffers.push(separator);
    buffers.push(asBuffer(part));
  });
  buffers.push(asBuffer(close));
  return Buffer.concat(buffers);
}

/** The first items of an asynchronous source, for a framing that must see them before encoding. */
async function sampleAsync(items: Iterator<unknown> | AsyncIterator<unknown>, framing: Framing): Promise<{ parts: Part[]; ended: boolean }> {
  const sample: unknown[] = [];
  let ended = false;
  if (framing.prepare) {
    while (sample.length < SAMPLE_ITEMS) {
      const next = await items.next();
      if (next.done) {
        ended = true;
        break;
      }
      sample.push(next.value);
    }
    framing.prepare(sample);
  }
  return { parts: sample.map((item) => framing.encode(item)), ended };
}

/** Streams with back-pressure; `head` holds the parts already encoded (undefined: none pulled yet). */
async function streamItems(
  exchange: HttpExchange,
  status: number,
  headers: Record<string, string>,
  items: Iterator<unknown> | AsyncIterator<unknown>,
  framing: Framing,
  head: Part[] | undefined,
): Promise<void> {
  exchange.begin(status, headers);
  let finished = false;
  try {
    if (exchange.method === 'HEAD') return exchange.end();
    let parts = head;
    if (parts === undefined) ({ parts, ended: finished } = await sampleAsync(items, framing));
    const written = exchange.write(joinParts(framing, parts, false));
    if (written) await written;
    let separator = parts.length > 0 ? framing.separator : '';
    while (!finished && !exchange.done) {
      const step = items.next();
      const next = step instanceof Promise ? await step : step;
      if (next.done) {
        finished = true;
        break;
      }
      const part = framing.encode(next.value);
      const pending = separator === '' ? exchange.write(part) : exchange.write(typeof part === 'string' ? separator + part : Buffer.concat([Buffer.from(separator), part]));
      if (pending) await pending;
      separator = framing.separator;
    }
  } finally {
    // Releases what the source holds (an LMDB read transaction) when the stream stops early.
    if (!finished) await items.return?.();
  }
  exchange.end(framing.close);
}
