import { watch, type FSWatcher } from 'chokidar';
import { resolve } from 'node:path';
import { App, printDiagnostics, type AppOptions } from '../app/index.js';

export interface DevServerOptions extends AppOptions {
  /** Quiet period after the last file event before a reload starts. */
  debounceMs?: number;
  /** Type-check TypeScript resources before each load (default true): a type error keeps the last good generation. */
  typeCheck?: boolean;
}

const ignoredSegments = /(^|[/\\])(node_modules|\.lode|\.git)([/\\]|$)/;

/**
 * `lode dev`: an app whose schema and resource changes are picked up without a restart. Each
 * batch of file events builds a new generation; a broken edit prints its diagnostics and the
 * last good generation keeps serving.
 */
export class DevServer {
  readonly app: App;
  readonly #watcher: FSWatcher;
  readonly #debounceMs: number;
  #timer: NodeJS.Timeout | undefined;
  #settled: Promise<void> = Promise.resolve();

  private constructor(app: App, debounceMs: number) {
    this.app = app;
    this.#debounceMs = debounceMs;
    this.#watcher = watch(app.dir, {
      ignoreInitial: true,
      ignored: (path) => ignoredSegments.test(path.slice(app.dir.length)),
    });
    this.#watcher.on('all', this.#schedule);
  }

  static async start(options: DevServerOptions): Promise<DevServer> {
    // Loaded lazily: the TypeScript compiler is large and `lode run` never needs it.
    const checker = options.typeCheck === false ? undefined : new (await import('./type-check.js')).TypeChecker(resolve(options.dir));
    const app = await App.start({ ...options, authorizeLocal: true, serveOnLoadFailure: true, checkResources: checker && ((files) => checker.check(files)) });
    const server = new DevServer(app, options.debounceMs ?? 60);
    await new Promise<void>((resolve) => server.#watcher.once('ready', resolve));
    const first = app.generation;
    if (first.number === 0) app.logger.warn('The app has errors (above); serving nothing until they are fixed.');
    return server;
  }

  /** Resolves when the reloads triggered so far have finished. */
  settled(): Promise<void> {
    return this.#settled;
  }

  readonly #schedule = (): void => {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#reload, this.#debounceMs);
  };

  readonly #reload = (): void => {
    this.#settled = this.app.reload().then((result) => {
      const { logger } = this.app;
      printDiagnostics(logger, result.diagnostics);
      if (result.ok) logger.info(`reloaded in ${result.ms} ms (generation ${result.generation})`);
      else logger.error(`reload failed after ${result.ms} ms; generation ${this.app.generation.number} keeps serving`);
    });
  };

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    await this.#watcher.close();
    await this.#settled;
    await this.app.close();
  }
}
