import type { LodeError } from '../errors/index.js';
import type { RequestContext, Resource, TransactionFunction } from '../resources/index.js';

/** What `import { … } from 'lode'` means inside an app's resource code: that app's live generation. */
export interface LodeRuntime {
  tables: Record<string, unknown>;
  databases: Record<string, Record<string, unknown>>;
  getContext: () => RequestContext | undefined;
  transaction: TransactionFunction;
  Resource: typeof Resource;
  LodeError: typeof LodeError;
}

/**
 * Bundled resource code imports `lode` through a small generated module that asks this map for
 * its generation by key. Keys are unique per app instance and generation, so several apps in one
 * process (tests) never see each other's tables; a generation unregisters itself when retired.
 */
export class RuntimeLinks {
  static readonly #byKey = new Map<string, LodeRuntime>();

  static register(key: string, runtime: LodeRuntime): void {
    this.#byKey.set(key, runtime);
  }

  static unregister(key: string): void {
    this.#byKey.delete(key);
  }

  static lookup(key: string): LodeRuntime {
    const runtime = this.#byKey.get(key);
    if (!runtime) throw new Error(`Lode runtime ${key} is not loaded: resource modules must be loaded by a Lode app`);
    return runtime;
  }
}

export const runtimeLinkModuleUrl = import.meta.url;
