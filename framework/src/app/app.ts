import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ContextStore, ResourceRegistry, followSources, runTransaction, stopSources, type TransactionBody } from '../resources/index.js';
import { evictExpired } from './eviction.js';
import { formatDiagnostic, type Diagnostic } from '../schema/index.js';
import { RealtimeHub } from '../realtime/index.js';
import { AccessPolicy, isLoopback, parseRoles, type Authenticator } from '../auth/index.js';
import { Replicator } from '../replication/index.js';
import { Storage, SystemStore } from '../storage/index.js';
import { HttpServer, StaticFiles } from '../transport/index.js';
import { consoleLogger, type Logger } from '../util/index.js';
import { loadConfig, type AppConfig } from './config.js';
import { buildRoot, removeStaleBuilds } from './build-dirs.js';
import { buildGeneration, type Generation, type ResourceChecker } from './generation.js';
import { openAuthenticator } from './security.js';
import { webSocketConnect } from './replication-client.js';
import { replicationSettings, type ReplicationOverrides, type ReplicationSettings } from './replication-config.js';
import { ReplicationServer } from './replication-server.js';

export interface AppOptions {
  /** The app folder (schema, resources, config.yaml, web/). */
  dir: string;
  /** Default `<dir>/.lode/data`. */
  dataDir?: string;
  /** Default 9926; 0 picks a free port. */
  port?: number;
  host?: string;
  logger?: Logger;
  /** Start serving even when the first load fails (dev mode waits for a fix). */
  serveOnLoadFailure?: boolean;
  /** Loopback requests run as the super user (dev mode, tests); overrides `authentication.authorizeLocal`. */
  authorizeLocal?: boolean;
  checkResources?: ResourceChecker;
  /** The command line's replication flags: each replaces config.yaml's and the environment's value. */
  replication?: ReplicationOverrides;
  /** Where `LODE_*` variables are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

export type ReloadResult = { ok: true; generation: number; ms: number; diagnostics: Diagnostic[] } | { ok: false; ms: number; diagnostics: Diagnostic[] };

/** How often the change log is trimmed to its retention. */
const LOG_PRUNE_INTERVAL_MS = 10 * 60 * 1000;
/** How often expired records are evicted; the sweep reads only what has expired, so it is cheap when nothing has. */
const EVICTION_INTERVAL_MS = 1000;
/** How often open streams are checked against users and roles, so a removed user's streams end (Harper re-runs allowRead too). */
const RECHECK_INTERVAL_MS = 30_000;

export class AppLoadError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(`The app failed to load:\n${diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n')}`);
    this.name = 'AppLoadError';
  }
}

/**
 * A running Lode app: storage, the HTTP server and the generation currently serving. Everything
 * the runtime holds lives here; a reload builds a new generation and swaps it in atomically.
 */
export class App {
  readonly dir: string;
  readonly storage: Storage;
  readonly server: HttpServer;
  readonly logger: Logger;
  readonly host: string;
  readonly contexts = new ContextStore();
  /** Users, tokens and logins of this app's data directory. */
  readonly auth: Authenticator;
  readonly #system: SystemStore;
  /** Subscriptions, fed by the change log; they outlive generations, so they flow across reloads. */
  readonly realtime: RealtimeHub;
  readonly #pruning: NodeJS.Timeout;
  readonly #evicting: NodeJS.Timeout;
  readonly #rechecking: NodeJS.Timeout;
  #sweeping = false;
  readonly #key = randomUUID();
  readonly #staticFiles: StaticFiles | undefined;
  #config: AppConfig;
  #current: Generation;
  #nextNumber = 1;
  #reloading: Promise<ReloadResult> | undefined;
  #closed = false;
  readonly #checkResources: ResourceChecker | undefined;
  #replicator: Replicator | undefined;
  #replicationServer: ReplicationServer | undefined;

  private constructor(dir: string, storage: Storage, system: SystemStore, auth: Authenticator, config: AppConfig, options: AppOptions) {
    this.dir = dir;
    this.storage = storage;
    this.#system = system;
    this.auth = auth;
    this.#config = config;
    this.logger = options.logger ?? consoleLogger;
    this.host = options.host ?? '127.0.0.1';
    this.#checkResources = options.checkResources;
    this.realtime = new RealtimeHub(storage, { maxQueuedEvents: config.realtime.maxQueuedEvents });
    this.#pruning = setInterval(() => void this.#pruneLog(), LOG_PRUNE_INTERVAL_MS).unref();
    this.#evicting = setInterval(() => void this.#evict(), EVICTION_INTERVAL_MS).unref();
    this.#rechecking = setInterval(() => this.server.recheckLiveConnections(), RECHECK_INTERVAL_MS).unref();
    this.#staticFiles = config.static === undefined ? undefined : new StaticFiles(join(dir, config.static));
    this.#current = {
      number: 0,
      access: new AccessPolicy(parseRoles(undefined)),
      auth,
      tableDefs: [],
      tables: {},
      registry: new ResourceRegistry([]),
      contexts: this.contexts,
      staticFiles: this.#staticFiles,
      diagnostics: [],
    };
    this.server = new HttpServer({
      host: this.host,
      port: options.port ?? 9926,
      maxBodySize: config.rest.maxBodySize,
      routes: () => this.#current,
      logger: this.logger,
      realtime: { heartbeatMs: config.realtime.heartbeatMs, maxBufferedBytes: config.realtime.maxBufferedBytes },
    });
  }

  static async start(options: AppOptions): Promise<App> {
    const dir = resolve(options.dir);
    const config = await loadConfig(dir);
    // Before anything opens: replication switched on without a secret is refused outright.
    const replication = replicationSettings(config.replication, options.replication, options.env);
    await removeStaleBuilds(dir);
    const dataDir = resolve(options.dataDir ?? join(dir, '.lode', 'data'));
    const storage = await Storage.open({ dataDir, ...config.storage });
    const system = new SystemStore(dataDir);
    const logger = options.logger ?? consoleLogger;
    const authentication = { ...config.authentication, authorizeLocal: options.authorizeLocal ?? config.authentication.authorizeLocal, loopbackOnly: isLoopback(options.host ?? '127.0.0.1') };
    const auth = await openAuthenticator(system, authentication, logger, options.env).catch(async (error: unknown) => {
      await system.close();
      await storage.close();
      throw error;
    });
    const app = new App(dir, storage, system, auth, config, options);
    try {
      const first = await app.reload();
      printDiagnostics(app.logger, first.diagnostics);
      if (!first.ok && !options.serveOnLoadFailure) throw new AppLoadError(first.diagnostics);
      await app.server.listen();
      if (replication !== undefined) await app.#startReplication(replication);
    } catch (error) {
      await app.close();
      throw error;
    }
    return app;
  }

  get url(): string {
    return `http://${this.host}:${this.server.port}`;
  }

  get generation(): Generation {
    return this.#current;
  }

  get config(): AppConfig {
    return this.#config;
  }

  /** This node's replication, when config.yaml, the environment or the flags turn it on. */
  get replication(): Replicator | undefined {
    return this.#replicator;
  }

  /** The port peers connect to (undefined when this node only connects out, or does not replicate). */
  get replicationPort(): number | undefined {
    return this.#replicationServer?.port;
  }

  /**
   * After the first generation, so that the tables exist: a peer that connected earlier would be
   * refused for an unknown database. Replication settings are read at start; changing them needs a restart.
   */
  async #startReplication(settings: ReplicationSettings): Promise<void> {
    const { options, port } = settings;
    const replicator = (this.#replicator = new Replicator({ storage: this.storage, options, connect: webSocketConnect(this.logger), logger: this.logger }));
    if (port !== undefined) {
      this.#replicationServer = new ReplicationServer(replicator);
      await this.#replicationServer.listen(this.host, port);
    }
    const routes = options.routes.length === 0 ? 'none' : options.routes.map((route) => route.url).join(', ');
    const where = port === undefined ? 'connecting out only' : `on port ${this.#replicationServer!.port}`;
    this.logger.info(`Replication: node ${options.hostname} (id ${this.storage.nodeId}) ${where}, routes ${routes}`);
    replicator.refresh();
  }

  /** `transaction(fn)` from outside the app's resource code (scripts, tests): see docs/transactions.md. */
  transaction<T>(body: TransactionBody<T>): Promise<T> {
    return runTransaction(this.contexts, body);
  }

  /** Builds the next generation from the files on disk; on failure the current one keeps serving. */
  reload(): Promise<ReloadResult> {
    const previous = this.#reloading ?? Promise.resolve(undefined);
    const next = previous.then(() => this.#reloadNow());
    this.#reloading = next;
    return next;
  }

  async #reloadNow(): Promise<ReloadResult> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    try {
      const previous = this.#config;
      this.#config = await loadConfig(this.dir);
      if (JSON.stringify(previous.replication) !== JSON.stringify(this.#config.replication)) {
        this.logger.warn('config.yaml: the replication settings changed; they apply after a restart');
      }
      const result = await buildGeneration({
        appDir: this.dir,
        config: this.#config,
        storage: this.storage,
        contexts: this.contexts,
        realtime: this.realtime,
        number: this.#nextNumber++,
        appKey: this.#key,
        buildRoot: buildRoot(this.dir, this.#key),
        logger: this.logger,
        staticFiles: this.#staticFiles,
        checkResources: this.#checkResources,
        auth: this.auth,
      });
      if (!result.ok) return { ok: false, ms: elapsed(), diagnostics: result.diagnostics };
      stopSources(this.#current.tables);
      this.#current = result.generation;
      followSources(this.#current.tables);
      // New replicated tables and databases start replicating without a restart.
      this.#replicator?.refresh();
      // New roles apply to open streams too, not only to the next request.
      this.server.recheckLiveConnections();
      return { ok: true, generation: result.generation.number, ms: elapsed(), diagnostics: result.generation.diagnostics };
    } catch (error) {
      const diagnostic: Diagnostic = {
        severity: 'error',
        code: 'LOAD_FAILED',
        message: (error as Error).message,
        file: 'config.yaml',
        line: 1,
        column: 1,
      };
      return { ok: false, ms: elapsed(), diagnostics: [diagnostic] };
    }
  }

  /** One sweep at a time: a sweep slower than the interval is not joined by the next. */
  async #evict(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      await evictExpired(this.#current.tables);
    } catch (error) {
      this.logger.error('Evicting expired records failed', error);
    } finally {
      this.#sweeping = false;
    }
  }

  /** Drops change-log entries older than the retention (`logging.auditRetention`, default 3 days). */
  async #pruneLog(): Promise<void> {
    try {
      await this.storage.pruneLog(Date.now() - this.#config.logRetentionMs);
    } catch (error) {
      this.logger.error('Pruning the change log failed', error);
    }
  }

  /** Finishes in-flight requests, then closes the server and storage. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // First: peers stop sending before anything they write to closes.
    await this.#replicator?.close();
    this.#replicationServer?.close();
    clearInterval(this.#pruning);
    clearInterval(this.#evicting);
    clearInterval(this.#rechecking);
    await this.#reloading;
    stopSources(this.#current.tables);
    this.realtime.close();
    await this.server.close();
    await this.storage.close();
    await this.#system.close();
    await rm(buildRoot(this.dir, this.#key), { recursive: true, force: true });
  }
}

export function printDiagnostics(logger: Logger, diagnostics: Diagnostic[]): void {
  for (const diagnostic of diagnostics) {
    if (diagnostic.severity === 'error') logger.error(formatDiagnostic(diagnostic));
    else logger.warn(formatDiagnostic(diagnostic));
  }
}
