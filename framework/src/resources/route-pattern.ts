import { LodeError } from '../errors/index.js';

/** `decodeURIComponent` that answers 400 instead of throwing a URIError on bad percent-encoding. */
export function decodePath(encoded: string): string {
  // Most paths have nothing to decode, and `decodeURIComponent` is a runtime call even then.
  if (!encoded.includes('%')) return encoded;
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new LodeError('BAD_REQUEST', `Malformed percent-encoding in the URL: ${encoded}`, { errors: [{ path: 'url', message: 'is not valid percent-encoded UTF-8' }] });
  }
}

/** One segment of a route: a literal, `:name` (exactly one URL segment) or `*name` / `*` (the rest of the path). */
export type RouteSegment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'rest'; readonly name: string | undefined };

/** A resource's declared `static path`, resolved against where its export sits. */
export interface RoutePattern {
  /** Without a leading slash: `api/v1/widget/:id`. */
  readonly source: string;
  /** Every segment, the base included. */
  readonly segments: readonly RouteSegment[];
  /**
   * How many leading segments are the base the path was resolved against (`api/v1` for a relative
   * path on `export const api = { v1: { Widget } }`): the resource sees the URL below them.
   */
  readonly base: number;
  readonly literals: number;
  /** True when it has a `:param` or `*`; a path of literals alone is mounted like an export name. */
  readonly dynamic: boolean;
  readonly catchAll: boolean;
  /** Equal for patterns that match exactly the same URLs (parameter names erased): `widget/:/action/:`. */
  readonly shape: string;
}

export type RouteParse = { ok: true; pattern: RoutePattern } | { ok: false; message: string };

/** What a pattern bound from a URL: the parameters by name, and what a bare `*` matched. */
export interface RouteBinding {
  params: Record<string, string>;
  wildcard: string | undefined;
  /** What the trailing `*` or `*name` matched, decoded; `''` without one. */
  rest: string;
}

const PARAM_NAME = /^[A-Za-z_$][\w$]*$/;

function parseSegment(text: string, last: boolean, names: Set<string>): RouteSegment | string {
  if (text === '') return 'has an empty segment (`//`)';
  if (text === '.' || text === '..') return `has a "${text}" segment: a route cannot climb out of where its export is mounted (start it with "/" to mount it from the root)`;
  const sigil = text[0];
  if (sigil !== ':' && sigil !== '*') return { kind: 'literal', value: text };
  const name = text.slice(1);
  if (sigil === '*' && !last) return `has "${text}" before the last segment: "*" matches the rest of the path, so it must come last`;
  if (name === '' && sigil === ':') return 'has a parameter with an empty name (":")';
  if (name === '') return { kind: 'rest', name: undefined };
  if (!PARAM_NAME.test(name)) return `has the parameter "${text}": a name is letters, digits, "_" and "$", not starting with a digit`;
  if (names.has(name)) return `names the parameter "${name}" twice`;
  names.add(name);
  return sigil === ':' ? { kind: 'param', name } : { kind: 'rest', name };
}

/**
 * Parses a `static path`: a leading `/` makes it root-relative, otherwise (bare or `./`) it is
 * relative to `base`, the folder its export would be mounted in (`api/v1` for `api/v1/Widget`).
 */
export function parseRoute(declared: string, base: string): RouteParse {
  const rooted = declared.startsWith('/');
  let body = rooted ? declared.slice(1) : declared.startsWith('./') ? declared.slice(2) : declared;
  if (body.endsWith('/')) body = body.slice(0, -1);
  if (body === '') return { ok: false, message: 'has no segments (a default export is what answers at the root)' };
  const baseParts = rooted || base === '' ? [] : base.split('/');
  const segments: RouteSegment[] = baseParts.map((value) => ({ kind: 'literal', value }));
  const names = new Set<string>();
  const parts = body.split('/');
  for (const [index, text] of parts.entries()) {
    const segment = parseSegment(text, index === parts.length - 1, names);
    if (typeof segment === 'string') return { ok: false, message: segment };
    segments.push(segment);
  }
  const literals = segments.filter((segment) => segment.kind === 'literal').length;
  const shape = segments.map((segment) => (segment.kind === 'literal' ? segment.value : segment.kind === 'param' ? ':' : '*')).join('/');
  const source = segments.map((segment) => (segment.kind === 'literal' ? segment.value : `${segment.kind === 'param' ? ':' : '*'}${segment.name ?? ''}`)).join('/');
  const pattern: RoutePattern = {
    source,
    segments,
    base: baseParts.length,
    literals,
    dynamic: literals < segments.length,
    catchAll: segments.at(-1)?.kind === 'rest',
    shape,
  };
  return { ok: true, pattern };
}

/** Whether URL segments (still percent-encoded) match `segments`: `:name` needs a non-empty one, `*` takes zero or more. */
export function matchesSegments(segments: readonly RouteSegment[], parts: readonly string[]): boolean {
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    if (segment.kind === 'rest') return true;
    const part = parts[index];
    if (part === undefined || part === '') return false;
    if (segment.kind === 'literal' && decodePath(part) !== segment.value) return false;
  }
  return parts.length === segments.length;
}

/**
 * Binds a pattern's segments to the URL below its base (`rest`, percent-encoded, `''` or starting
 * with `/`); undefined when it does not match.
 */
export function bindRoute(segments: readonly RouteSegment[], rest: string): RouteBinding | undefined {
  const parts = rest === '' ? [] : rest.slice(1).split('/');
  if (!matchesSegments(segments, parts)) return undefined;
  const params: [string, string][] = [];
  let wildcard: string | undefined;
  let remainder = '';
  segments.forEach((segment, index) => {
    if (segment.kind === 'param') params.push([segment.name, decodePath(parts[index]!)]);
    else if (segment.kind === 'rest') {
      remainder = decodePath(parts.slice(index).join('/'));
      if (segment.name === undefined) wildcard = remainder;
      else params.push([segment.name, remainder]);
    }
  });
  // fromEntries defines own properties, so a parameter named `__proto__` stays a parameter.
  return { params: Object.fromEntries(params), wildcard, rest: remainder };
}

/** Literal > `:param` > `*`, position by position: the order among patterns with as many literals. */
function rank(segment: RouteSegment): number {
  return segment.kind === 'literal' ? 0 : segment.kind === 'param' ? 1 : 2;
}

/**
 * Most specific first: more literal segments, then without a catch-all, then the earlier literal
 * (`a/:x` before `:y/b`), then by source so the order never depends on file order.
 */
export function compareRoutes(a: RoutePattern, b: RoutePattern): number {
  if (a.literals !== b.literals) return b.literals - a.literals;
  if (a.catchAll !== b.catchAll) return a.catchAll ? 1 : -1;
  const length = Math.min(a.segments.length, b.segments.length);
  for (let index = 0; index < length; index++) {
    const difference = rank(a.segments[index]!) - rank(b.segments[index]!);
    if (difference !== 0) return difference;
  }
  return a.source < b.source ? -1 : a.source > b.source ? 1 : 0;
}

const declaredRoutes = new WeakMap<object, readonly RouteSegment[] | null>();

/** A resource class's `static path`, when it declares one. */
export function declaredPath(resource: object): unknown {
  return (resource as { path?: unknown }).path;
}

/**
 * The segments of a resource's dynamic `static path` relative to its base, parsed once per class;
 * undefined for a class without one (plain exports and literal paths parse their URLs as usual).
 */
export function routeOf(resource: object): readonly RouteSegment[] | undefined {
  const declared = declaredPath(resource);
  if (typeof declared !== 'string') return undefined;
  let segments = declaredRoutes.get(resource);
  if (segments === undefined) {
    const parsed = parseRoute(declared, '');
    segments = parsed.ok && parsed.pattern.dynamic ? parsed.pattern.segments : null;
    declaredRoutes.set(resource, segments);
  }
  return segments ?? undefined;
}
