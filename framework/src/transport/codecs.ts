import { Encoder } from 'cbor-x';
import { Packr } from 'msgpackr';
import { LodeError } from '../errors/index.js';

/**
 * How a response format writes a sequence of values (a streamed collection): the opening, the
 * items with a separator between them, the closing. One framing serves one response.
 */
export interface Framing {
  open(): string | Buffer;
  readonly separator: string;
  readonly close: string | Buffer;
  encode(item: unknown): string | Buffer;
  /** Set when the framing must see the first items before encoding any (CSV takes its columns from them). */
  prepare?(sample: readonly unknown[]): void;
}

/** What a format may use to lay values out: CSV orders its columns by the declared attributes. */
export interface ValueShape {
  /** The resource's declared attribute names in schema order; absent for custom resources and queries with `select(…)`. */
  readonly attributes?: readonly string[];
}

/** A format responses can be written in. */
export interface ResponseFormat {
  readonly mediaType: string;
  /** Headers every response in this format carries (`Content-Type`, and CSV's `Content-Disposition`). */
  readonly headers: Readonly<Record<string, string>>;
  encode(value: unknown, shape?: ValueShape): string | Buffer;
  frame(shape?: ValueShape): Framing;
}

/** A serialization format the REST layer speaks in both directions. */
export interface Codec extends ResponseFormat {
  decode(body: Buffer): unknown;
}

function bytesAndBigIntsAsJson(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}

/**
 * What every Buffer serializes to, `{"type":"Buffer","data":[…]}`, found by a part of it that starts
 * with a letter: a search starts by scanning for the first character, and JSON is full of quotes.
 */
const BUFFER_JSON = 'Buffer","data":[';

/**
 * JSON.stringify without a replacer is several times faster, so it runs first; only output that
 * cannot be plain JSON (a BigInt throws, Buffers serialize as `{"type":"Buffer"…}`) is redone
 * with the replacer that writes bigints as numbers or strings and bytes as base64.
 */
export function encodeJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
  if (text === undefined || text.includes(BUFFER_JSON)) text = JSON.stringify(value, bytesAndBigIntsAsJson);
  return text ?? 'null';
}

function malformed(format: string, error: unknown): LodeError {
  const message = (error as Error).message;
  return new LodeError('MALFORMED_BODY', `Malformed ${format}: ${message}`, { errors: [{ path: '', message }] });
}

const jsonFraming: Framing = { open: () => '[', separator: ',', close: ']', encode: encodeJson };

export const jsonCodec: Codec = {
  mediaType: 'application/json',
  headers: { 'Content-Type': 'application/json' },
  encode: encodeJson,
  frame: () => jsonFraming,
  decode(body) {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch (error) {
      const message = (error as Error).message;
      const position = /position (\d+)/.exec(message)?.[1];
      throw new LodeError('MALFORMED_BODY', `Malformed JSON: ${message}`, {
        errors: [{ path: position === undefined ? '' : `position ${position}`, message }],
      });
    }
  },
};

const packr = new Packr({ useRecords: false, moreTypes: true });
const encodeMsgpack = (value: unknown): Buffer => packr.pack(value);
/** Harper's streaming form: concatenated values, read with msgpackr's `unpackMultiple`. */
const msgpackFraming: Framing = { open: () => '', separator: '', close: '', encode: encodeMsgpack };

export const msgpackCodec: Codec = {
  mediaType: 'application/x-msgpack',
  headers: { 'Content-Type': 'application/x-msgpack' },
  encode: encodeMsgpack,
  frame: () => msgpackFraming,
  decode(body) {
    try {
      return packr.unpack(body);
    } catch (error) {
      throw malformed('MessagePack', error);
    }
  },
};

/**
 * Plain RFC 8949 output any CBOR decoder reads: objects as maps (no record extension), bytes as
 * untagged byte strings, Dates as tag 1 (epoch seconds), bigints as 64-bit integers or bignums.
 */
const cborOptions: ConstructorParameters<typeof Encoder>[0] & { useTag259ForMaps: boolean } = { useRecords: false, tagUint8Array: false, useTag259ForMaps: false };
const cbor = new Encoder(cborOptions);
const encodeCbor = (value: unknown): Buffer => cbor.encode(value);
const CBOR_ARRAY_START = Buffer.from([0x9f]);
const CBOR_BREAK = Buffer.from([0xff]);
/** An indefinite-length array (0x9f items… 0xff), so a client decodes the stream as one array. */
const cborFraming: Framing = { open: () => CBOR_ARRAY_START, separator: '', close: CBOR_BREAK, encode: encodeCbor };

/**
 * cbor-x reads every 64-bit integer as a bigint, but generic clients write any integer above
 * 2^32 that way (a millisecond timestamp, a Long): those that fit a double become numbers, as
 * they would from JSON; larger ones stay bigints.
 */
function safeIntegersAsNumbers(value: unknown): unknown {
  if (typeof value === 'bigint') return value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER ? Number(value) : value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = safeIntegersAsNumbers(value[i]);
  } else if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = safeIntegersAsNumbers(record[key]);
  }
  return value;
}

export const cborCodec: Codec = {
  mediaType: 'application/cbor',
  headers: { 'Content-Type': 'application/cbor' },
  encode: encodeCbor,
  frame: () => cborFraming,
  decode(body) {
    let value: unknown;
    try {
      value = cbor.decode(body);
    } catch (error) {
      throw malformed('CBOR', error);
    }
    return safeIntegersAsNumbers(value);
  },
};

const codecsByType = new Map<string, Codec>([
  ['application/json', jsonCodec],
  ['application/cbor', cborCodec],
  ['application/x-msgpack', msgpackCodec],
  ['application/msgpack', msgpackCodec],
  ['application/vnd.msgpack', msgpackCodec],
]);

/** The codec for a request body's `Content-Type`; a body without one is read as JSON. */
export function codecForContentType(contentType: string | undefined): Codec {
  if (contentType === undefined || contentType === '') return jsonCodec;
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  const codec = codecsByType.get(mediaType) ?? (mediaType.endsWith('+json') ? jsonCodec : undefined);
  if (!codec) {
    const outputOnly = mediaType === 'text/csv' ? ' (CSV is a response format only)' : '';
    throw new LodeError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${mediaType} is not supported${outputOnly}; send application/json, application/cbor or application/x-msgpack`);
  }
  return codec;
}
