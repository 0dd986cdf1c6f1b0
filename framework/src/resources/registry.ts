import { resourceMethods, type ResourceClass } from './resource.js';
import { compareRoutes, decodePath, matchesSegments, type RoutePattern } from './route-pattern.js';

export interface AttributeSummary {
  name: string;
  type: string;
}

/** A resource mounted at a URL path (without slashes at either end, e.g. `Item` or `api/v1/Item`). */
export interface MountedResource {
  path: string;
  resource: ResourceClass;
  /** Table name when the resource is backed by a table. */
  table?: string;
  attributes?: AttributeSummary[];
  /** Where it came from, for diagnostics: `schema.graphql` or `resources.ts`. */
  origin: string;
  /** Set when a `static path` with `:params` or `*` mounts it; `path` is then the pattern's source. */
  route?: RoutePattern;
}

export interface RouteMatch {
  mounted: MountedResource;
  /**
   * URL-encoded remainder after the mount path: `''` for `/Item`, `'/'` for `/Item/`, `'/12'` for
   * `/Item/12`. For a route pattern, the URL below the pattern's base, which the pattern binds.
   */
  rest: string;
}

/**
 * Maps URL paths to resources; one immutable registry per app generation, swapped atomically on
 * reload. Export names (and literal `static path`s) are a longest-prefix map lookup; route
 * patterns are tried only when they could beat what that lookup found, so apps without them pay
 * nothing for them.
 */
export class ResourceRegistry {
  readonly #byPath = new Map<string, MountedResource>();
  readonly #maxDepth: number;
  /** Most specific first (`compareRoutes`). */
  readonly #patterns: MountedResource[] = [];
  /** The most literal segments any pattern has (-1 without patterns): a literal mount this deep wins outright. */
  readonly #patternLiterals: number;
  /** How many segments the patterns without a catch-all match: other URLs skip them without splitting. */
  readonly #patternLengths = new Set<number>();
  /** The fewest segments a catch-all pattern matches (Infinity without one). */
  readonly #catchAllFrom: number;
  /** The default export: answers what nothing else does (the transport asks for it last, after static files). */
  readonly root: MountedResource | undefined;

  constructor(mounts: MountedResource[], root?: MountedResource) {
    let depth = 1;
    let literals = -1;
    let catchAllFrom = Infinity;
    for (const mount of mounts) {
      if (mount.route) {
        this.#patterns.push(mount);
        literals = Math.max(literals, mount.route.literals);
        if (mount.route.catchAll) catchAllFrom = Math.min(catchAllFrom, mount.route.segments.length - 1);
        else this.#patternLengths.add(mount.route.segments.length);
        continue;
      }
      this.#byPath.set(mount.path, mount);
      depth = Math.max(depth, mount.path.split('/').length);
    }
    this.#patterns.sort((a, b) => compareRoutes(a.route!, b.route!));
    this.#maxDepth = depth;
    this.#patternLiterals = literals;
    this.#catchAllFrom = catchAllFrom;
    this.root = root;
  }

  /**
   * Longest registered prefix of `pathname` (which starts with `/`), compared segment by segment;
   * a route pattern with more literal segments than that prefix wins over it.
   */
  match(pathname: string): RouteMatch | undefined {
    let end = 1;
    const candidates: number[] = [];
    for (let depth = 0; depth < this.#maxDepth; depth++) {
      const slash = pathname.indexOf('/', end);
      const stop = slash === -1 ? pathname.length : slash;
      candidates.push(stop);
      if (slash === -1) break;
      end = slash + 1;
    }
    for (let i = candidates.length - 1; i >= 0; i--) {
      const stop = candidates[i]!;
      const mounted = this.#byPath.get(decodePath(pathname.slice(1, stop)));
      if (!mounted) continue;
      if (i + 1 >= this.#patternLiterals) return { mounted, rest: pathname.slice(stop) };
      return this.#matchPattern(pathname, i + 1) ?? { mounted, rest: pathname.slice(stop) };
    }
    return this.#patternLiterals === -1 ? undefined : this.#matchPattern(pathname, -1);
  }

  /** The most specific pattern with more than `literals` literal segments that matches the whole path. */
  #matchPattern(pathname: string, literals: number): RouteMatch | undefined {
    let count = 1;
    for (let at = pathname.indexOf('/', 1); at !== -1; at = pathname.indexOf('/', at + 1)) count++;
    if (!this.#patternLengths.has(count) && count < this.#catchAllFrom) return undefined;
    const parts = pathname.slice(1).split('/');
    for (const mounted of this.#patterns) {
      const route = mounted.route!;
      if (route.literals <= literals) break;
      if (matchesSegments(route.segments, parts)) return { mounted, rest: below(pathname, route.base) };
    }
    return undefined;
  }

  /** The default export's match for a URL nothing else answers. */
  fallback(pathname: string): RouteMatch | undefined {
    return this.root && { mounted: this.root, rest: pathname };
  }

  /** Export names and route patterns; not the default export. */
  list(): MountedResource[] {
    return [...this.#byPath.values(), ...this.#patterns];
  }
}

/** `pathname` below its first `depth` segments: `/api/v1/x/5` below 2 is `/x/5`. */
function below(pathname: string, depth: number): string {
  let at = 0;
  for (let segment = 0; segment < depth; segment++) {
    const slash = pathname.indexOf('/', at + 1);
    if (slash === -1) return '';
    at = slash;
  }
  return pathname.slice(at);
}

export function isResourceClass(value: unknown): value is ResourceClass {
  if (typeof value !== 'function') return false;
  const candidate = value as unknown as Record<string, unknown>;
  return resourceMethods.some((method) => typeof candidate[method] === 'function') || typeof candidate.connect === 'function';
}

export interface CollectedExport {
  path: string;
  resource: ResourceClass;
}

/**
 * Resource classes exported by a module: `export class Foo` → `Foo`, and nested plain objects
 * `export const api = { v1: { Foo } }` → `api/v1/Foo`.
 */
export function collectExports(namespace: Record<string, unknown>): CollectedExport[] {
  const found: CollectedExport[] = [];
  const visit = (value: unknown, path: string, seen: Set<unknown>): void => {
    if (isResourceClass(value)) {
      found.push({ path, resource: value });
      return;
    }
    if (typeof value !== 'object' || value === null || seen.has(value) || Object.getPrototypeOf(value) !== Object.prototype) return;
    seen.add(value);
    for (const [key, child] of Object.entries(value)) visit(child, `${path}/${key}`, seen);
  };
  for (const [name, value] of Object.entries(namespace)) {
    if (name !== 'default') visit(value, name, new Set());
  }
  return found;
}
