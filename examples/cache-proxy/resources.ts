// The cache. `tables.Post` (schema.graphql) is served at /Post/{id}; `sourcedFrom` below makes it a
// cache of the upstream API: a post that is missing or expired is loaded from the upstream, once
// however many requests ask for it at the same moment, and stored for the reads that follow.
import { LodeError, Resource, tables, type RequestTarget, type ResourceId } from 'lode';

/** Where posts come from: `UPSTREAM_URL`, by default the slow upstream that `npm run upstream` starts. */
const upstreamUrl = (process.env.UPSTREAM_URL ?? 'http://127.0.0.1:9930').replace(/\/+$/, '');

/** A hung upstream would hold every request waiting on its load (they share one), so give up after this. */
const UPSTREAM_TIMEOUT_MS = 10_000;

/** A number of seconds from the environment, or `fallback` when it is not set. */
function secondsFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number of seconds, not ${JSON.stringify(raw)}`);
  return value;
}

/** How long a loaded post is fresh, and how long an expired copy is then kept to be served stale. */
const expiration = secondsFromEnv('CACHE_EXPIRATION', 60);
const eviction = secondsFromEnv('CACHE_EVICTION', 3600);

/** What the cache asked of the upstream since the app (re)loaded: shown by /Stats. */
const upstreamCalls = { loads: 0, notFound: 0, failed: 0 };

/**
 * The origin of the Post cache. Deliberately not exported: an exported class is mounted at
 * /<ExportName>, and /PostAPI/{id} would call the upstream on every request, past the cache.
 */
class PostAPI extends Resource {
  static async get(id: ResourceId): Promise<Record<string, unknown> | undefined> {
    upstreamCalls.loads++;
    try {
      const response = await fetch(`${upstreamUrl}/posts/${encodeURIComponent(String(id))}`, { signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
      // Undefined means "no such post": the client gets a 404 and nothing is stored.
      if (response.status === 404) {
        upstreamCalls.notFound++;
        return undefined;
      }
      // A throw is a 502 when nothing is cached, and the stale copy (with a Warning) when one is.
      if (!response.ok) throw new Error(`the upstream answered ${response.status}`);
      return (await response.json()) as Record<string, unknown>;
    } catch (error) {
      upstreamCalls.failed++;
      throw error;
    }
  }
}

tables.Post.sourcedFrom(PostAPI, { expiration, eviction });

/**
 * POST /Invalidate/{id}: marks the cached post stale, for when you know the upstream changed it.
 * The next read reloads it; by default that read still gets the old copy at once while the new one
 * loads in the background (`Cache-Status: lode; hit; fwd=stale; detail=revalidating`).
 */
export class Invalidate extends Resource {
  // Post ids are integers: read the URL's id the way /Post/{id} does.
  static override coerceId(raw: string): ResourceId {
    return tables.Post.coerceId(raw);
  }

  static async post(target: RequestTarget): Promise<void> {
    if (target.id === undefined) throw new LodeError('BAD_REQUEST', 'Say which post to invalidate: POST /Invalidate/{id}');
    await tables.Post.invalidate(target.id);
  }
}

/** GET /Stats: how many posts are stored, the cache settings, and what reached the upstream. */
export class Stats extends Resource {
  static get() {
    return {
      posts: { stored: tables.Post.count(), expiration, eviction },
      upstream: { url: upstreamUrl, ...upstreamCalls },
    };
  }
}
