import { cborCodec, jsonCodec, msgpackCodec, type ResponseFormat } from './codecs.js';
import { csvFormat } from './csv.js';

const formatsByType = new Map<string, ResponseFormat>([
  ['application/json', jsonCodec],
  ['application/cbor', cborCodec],
  ['application/x-msgpack', msgpackCodec],
  ['application/msgpack', msgpackCodec],
  ['application/vnd.msgpack', msgpackCodec],
  ['text/csv', csvFormat],
]);

/**
 * Picks the response format from `Accept`: the highest q-value wins, the first listed on a tie;
 * the wildcards (any type, any `application/` type) mean JSON. Harper ranks CBOR first for them;
 * Lode keeps JSON the default so browsers and curl get text.
 */
export function negotiate(accept: string | undefined): ResponseFormat | undefined {
  if (accept === undefined || accept === '' || accept === '*/*' || accept === 'application/json') return jsonCodec;
  let best: ResponseFormat | undefined;
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
    const format = mediaType === '*/*' || mediaType === 'application/*' ? jsonCodec : formatsByType.get(mediaType);
    if (format && q > bestQ) {
      best = format;
      bestQ = q;
    }
  }
  return best;
}
