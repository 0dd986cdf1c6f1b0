import type { AttributeSummary } from '../resources/index.js';
import { cborCodec, jsonCodec, msgpackCodec, type ResponseFormat } from './codecs.js';
import { csvFormat } from './csv.js';

const formatsBySuffix = new Map<string, ResponseFormat>([
  ['json', jsonCodec],
  ['msgpack', msgpackCodec],
  ['cbor', cborCodec],
  ['csv', csvFormat],
]);

const DOT = 0x2e;
const SLASH = 0x2f;

/**
 * The last dot of the last path segment, or -1. A loop rather than two `lastIndexOf` calls: those
 * go through the runtime, and every request asks this twice.
 */
function lastSegmentDot(rest: string): number {
  for (let i = rest.length - 1; i >= 0; i--) {
    const char = rest.charCodeAt(i);
    if (char === DOT) return i;
    if (char === SLASH) return -1;
  }
  return -1;
}

/** The dot that starts a suffix of the last path segment, or -1 (a segment that starts with a dot has none). */
function suffixDot(rest: string): number {
  const dot = lastSegmentDot(rest);
  return dot > 0 && rest.charCodeAt(dot - 1) !== SLASH ? dot : -1;
}

/**
 * A content-type suffix on the URL remainder below the mount point (still percent-encoded, so
 * `%2E` keeps a dot literal): `/12.csv` → `/12` as CSV, `/.cbor` → the collection `/` as CBOR.
 */
export function formatSuffix(rest: string): { rest: string; format: ResponseFormat } | undefined {
  const dot = lastSegmentDot(rest);
  if (dot === -1) return undefined;
  const format = formatsBySuffix.get(rest.slice(dot + 1));
  return format === undefined ? undefined : { rest: rest.slice(0, dot), format };
}

/** `/12.name` → `'name'` when `name` is a declared attribute (Harper 4.5: otherwise the dot is part of the id). */
export function attributeSuffix(rest: string, attributes: readonly AttributeSummary[] | undefined): string | undefined {
  if (attributes === undefined) return undefined;
  const dot = suffixDot(rest);
  if (dot === -1) return undefined;
  const name = rest.slice(dot + 1);
  return attributes.some((attribute) => attribute.name === name) ? name : undefined;
}
