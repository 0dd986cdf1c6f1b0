import { Packr } from 'msgpackr';
import { LodeError } from '../errors/index.js';

/** A serialization format the REST layer speaks in both directions. */
export interface Codec {
  readonly mediaType: string;
  encode(value: unknown): string | Buffer;
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
  if (text === undefined || text.includes('"type":"Buffer"')) text = JSON.stringify(value, bytesAndBigIntsAsJson);
  return text ?? 'null';
}

export const jsonCodec: Codec = {
  mediaType: 'application/json',
  encode: encodeJson,
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

export const msgpackCodec: Codec = {
  mediaType: 'application/x-msgpack',
  encode: (value) => packr.pack(value),
  decode(body) {
    try {
      return packr.unpack(body);
    } catch (error) {
      throw new LodeError('MALFORMED_BODY', `Malformed MessagePack: ${(error as Error).message}`, {
        errors: [{ path: '', message: (error as Error).message }],
      });
    }
  },
};

const codecsByType = new Map<string, Codec>([
  ['application/json', jsonCodec],
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
    throw new LodeError('UNSUPPORTED_MEDIA_TYPE', `Content-Type ${mediaType} is not supported; send application/json or application/x-msgpack`);
  }
  return codec;
}

/** Picks the response codec from `Accept` (q-values honoured, ties keep server preference: JSON first). */
export function negotiate(accept: string | undefined): Codec | undefined {
  if (accept === undefined || accept === '' || accept === '*/*' || accept === 'application/json') return jsonCodec;
  let best: Codec | undefined;
  let bestQ = 0;
  for (const part of accept.split(',')) {
    const [rawType, ...params] = part.split(';');
    const mediaType = rawType!.trim().toLowerCase();
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=');
      if (name?.trim() === 'q') q = Number(value);
    }
    if (!(q > 0)) continue;
    const codec = mediaType === '*/*' || mediaType === 'application/*' ? jsonCodec : codecsByType.get(mediaType);
    if (codec && q > bestQ) {
      best = codec;
      bestQ = q;
    }
  }
  return best;
}
