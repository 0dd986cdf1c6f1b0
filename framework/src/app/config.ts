import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LodeError } from '../errors/index.js';
import { durationOf, positive, section, type Raw } from './config-values.js';
import { defaultReplicationConfig, replicationConfigOf, type ReplicationConfig } from './replication-config.js';

/** An app's `config.yaml`, with Harper's keys. Without the file, the defaults below apply. */
export interface AppConfig {
  /** Globs of schema files, relative to the app folder. */
  graphqlSchema: string[];
  /** Globs of resource modules (TypeScript or JavaScript). */
  jsResource: string[];
  rest: { enabled: boolean; maxBodySize: number };
  /** Folder served as static files, relative to the app folder. */
  static: string | undefined;
  realtime: RealtimeConfig;
  storage: StorageConfig;
  authentication: AuthenticationConfig;
  /** The roles file, relative to the app folder (Harper's `roles: { files }`). */
  roles: string;
  /** How long the change log keeps entries (replay, resume), in ms: Harper's `logging.auditRetention`. */
  logRetentionMs: number;
  /** The `replication` section as written; off unless it has a `port` or `routes` (or the environment or flags add them). */
  replication: ReplicationConfig;
}

export interface RealtimeConfig {
  /** SSE heartbeat comment interval, ms. */
  heartbeatMs: number;
  /** A connection with more unsent bytes than this is closed (the client resumes). */
  maxBufferedBytes: number;
  /** A subscriber further behind than this many events is closed (the client resumes). */
  maxQueuedEvents: number;
}

export interface StorageConfig {
  /** Commits do not wait for the disk to sync; the data directory is synced every `flushIntervalMs`. */
  writeAsync: boolean;
  flushIntervalMs: number;
}

/** Harper's `authentication` keys. */
export interface AuthenticationConfig {
  /** Loopback requests run as the super user. `lode dev` turns it on; never on by default in `lode run`. */
  authorizeLocal: boolean;
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  /** `POST /login` may open a cookie session for browser apps. Off unless asked for (Harper's default is on). */
  enableSessions: boolean;
}

export const defaultAuthentication: AuthenticationConfig = { authorizeLocal: false, accessTokenSeconds: 86_400, refreshTokenSeconds: 30 * 86_400, enableSessions: false };

function authenticationOf(config: Raw): AuthenticationConfig {
  const raw = section(config, 'authentication');
  if (raw.authorizeLocal !== undefined && typeof raw.authorizeLocal !== 'boolean') throw new LodeError('BAD_REQUEST', 'config.yaml: authentication.authorizeLocal must be true or false');
  if (raw.enableSessions !== undefined && typeof raw.enableSessions !== 'boolean') throw new LodeError('BAD_REQUEST', 'config.yaml: authentication.enableSessions must be true or false');
  const seconds = (key: string, fallback: number): number => (raw[key] === undefined ? fallback : Math.ceil(durationOf(raw[key], `authentication.${key}`) / 1000));
  return {
    authorizeLocal: (raw.authorizeLocal as boolean | undefined) ?? false,
    accessTokenSeconds: seconds('operationTokenTimeout', defaultAuthentication.accessTokenSeconds),
    refreshTokenSeconds: seconds('refreshTokenTimeout', defaultAuthentication.refreshTokenSeconds),
    enableSessions: (raw.enableSessions as boolean | undefined) ?? false,
  };
}

export const defaultStorage: StorageConfig = { writeAsync: false, flushIntervalMs: 1000 };

export const defaultRealtime: RealtimeConfig = { heartbeatMs: 15_000, maxBufferedBytes: 1024 * 1024, maxQueuedEvents: 10_000 };
export const DEFAULT_LOG_RETENTION_MS = 3 * 24 * 60 * 60 * 1000;

function realtimeOf(config: Raw): RealtimeConfig {
  const realtime = section(config, 'realtime');
  return {
    heartbeatMs: realtime.heartbeat === undefined ? defaultRealtime.heartbeatMs : durationOf(realtime.heartbeat, 'realtime.heartbeat'),
    maxBufferedBytes: positive(realtime.maxBufferedBytes, 'realtime.maxBufferedBytes', defaultRealtime.maxBufferedBytes),
    maxQueuedEvents: positive(realtime.maxQueuedEvents, 'realtime.maxQueuedEvents', defaultRealtime.maxQueuedEvents),
  };
}

function storageOf(config: Raw): StorageConfig {
  const storage = section(config, 'storage');
  if (storage.writeAsync !== undefined && typeof storage.writeAsync !== 'boolean') throw new LodeError('BAD_REQUEST', 'config.yaml: storage.writeAsync must be true or false');
  return {
    writeAsync: storage.writeAsync ?? defaultStorage.writeAsync,
    flushIntervalMs: storage.flushInterval === undefined ? defaultStorage.flushIntervalMs : durationOf(storage.flushInterval, 'storage.flushInterval'),
  };
}

export const DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024;

export const defaultConfig: AppConfig = {
  graphqlSchema: ['*.graphql'],
  jsResource: ['resources.{ts,mts,js,mjs}'],
  rest: { enabled: true, maxBodySize: DEFAULT_MAX_BODY_SIZE },
  static: 'web',
  realtime: defaultRealtime,
  storage: defaultStorage,
  authentication: defaultAuthentication,
  roles: 'roles.yaml',
  logRetentionMs: DEFAULT_LOG_RETENTION_MS,
  replication: defaultReplicationConfig,
};

function globsOf(value: unknown, key: string): string[] {
  const files = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Raw).files : value;
  const list = Array.isArray(files) ? files : [files];
  if (!list.every((item): item is string => typeof item === 'string')) {
    throw new LodeError('BAD_REQUEST', `config.yaml: ${key} must be a glob, a list of globs, or { files: glob }`);
  }
  return list;
}

/** The folder part of a static glob (`web/**` → `web`), or the `root` Harper allows beside `files`. */
function staticRootOf(value: unknown): string | undefined {
  if (value === false || value === undefined) return undefined;
  if (typeof value === 'object' && value !== null && typeof (value as Raw).root === 'string') return (value as Raw).root as string;
  const [glob] = globsOf(value, 'static');
  return glob?.split('/')[0]?.replace(/\*.*$/, '') || undefined;
}

export function parseConfig(text: string): AppConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new LodeError('BAD_REQUEST', `config.yaml: ${(error as Error).message}`);
  }
  if (raw === null || raw === undefined) return defaultConfig;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new LodeError('BAD_REQUEST', 'config.yaml must be a mapping of keys');
  const config = raw as Raw;
  const rest = config.rest;
  const maxBodySize = typeof rest === 'object' && rest !== null ? (rest as Raw).maxBodySize : undefined;
  if (maxBodySize !== undefined && !(typeof maxBodySize === 'number' && maxBodySize > 0)) {
    throw new LodeError('BAD_REQUEST', 'config.yaml: rest.maxBodySize must be a positive number of bytes');
  }
  // Harper's rule: a config.yaml replaces the defaults; a key that is absent is off.
  return {
    graphqlSchema: config.graphqlSchema === undefined ? [] : globsOf(config.graphqlSchema, 'graphqlSchema'),
    jsResource: config.jsResource === undefined ? [] : globsOf(config.jsResource, 'jsResource'),
    rest: { enabled: rest !== undefined && rest !== false, maxBodySize: (maxBodySize as number | undefined) ?? DEFAULT_MAX_BODY_SIZE },
    static: staticRootOf(config.static),
    realtime: realtimeOf(config),
    storage: storageOf(config),
    authentication: authenticationOf(config),
    roles: config.roles === undefined ? 'roles.yaml' : (globsOf(config.roles, 'roles')[0] ?? 'roles.yaml'),
    logRetentionMs: section(config, 'logging').auditRetention === undefined ? DEFAULT_LOG_RETENTION_MS : durationOf(section(config, 'logging').auditRetention, 'logging.auditRetention'),
    replication: replicationConfigOf(section(config, 'replication')),
  };
}

export async function loadConfig(appDir: string): Promise<AppConfig> {
  const text = await readFile(join(appDir, 'config.yaml'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return text === undefined ? defaultConfig : parseConfig(text);
}
