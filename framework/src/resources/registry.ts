import { LodeError } from '../errors/index.js';
import { resourceMethods, type ResourceClass } from './resource.js';

/** `decodeURIComponent` that answers 400 instead of throwing a URIError on bad percent-encoding. */
export function decodePath(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new LodeError('BAD_REQUEST', `Malformed percent-encoding in the URL: ${encoded}`, { errors: [{ path: 'url', message: 'is not valid percent-encoded UTF-8' }] });
  }
}

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
}

export interface RouteMatch {
  mounted: MountedResource;
  /** URL-encoded remainder after the mount path: `''` for `/Item`, `'/'` for `/Item/`, `'/12'` for `/Item/12`. */
  rest: string;
}

/** Maps URL paths to resources; one immutable registry per app generation, swapped atomically on reload. */
export class ResourceRegistry {
  readonly #byPath = new Map<string, MountedResource>();
  readonly #maxDepth: number;

  constructor(mounts: MountedResource[]) {
    let depth = 1;
    for (const mount of mounts) {
      this.#byPath.set(mount.path, mount);
      depth = Math.max(depth, mount.path.split('/').length);
    }
    this.#maxDepth = depth;
  }

  /** Longest registered prefix of `pathname` (which starts with `/`), compared segment by segment. */
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
      if (mounted) return { mounted, rest: pathname.slice(stop) };
    }
    return undefined;
  }

  list(): MountedResource[] {
    return [...this.#byPath.values()];
  }
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
