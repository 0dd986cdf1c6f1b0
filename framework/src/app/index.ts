export { App, AppLoadError, printDiagnostics, type AppOptions, type ReloadResult } from './app.js';
export { loadConfig, parseConfig, defaultConfig, type AppConfig } from './config.js';
export { replicationSettings, type ReplicationConfig, type ReplicationOverrides, type ReplicationSettings } from './replication-config.js';
export type { Generation, ResourceChecker } from './generation.js';
export { RuntimeLinks, type LodeRuntime } from './runtime-link.js';
export { compileAppSchema, writeTypeDeclarations } from './app-files.js';
// The data directory's system store, for the CLI's user commands (cli may not import storage).
export { SystemStore } from '../storage/index.js';
