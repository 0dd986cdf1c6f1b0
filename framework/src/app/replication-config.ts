import { hostname as osHostname } from 'node:os';
import { LodeError } from '../errors/index.js';
import { defaultReplicationTuning, type ReplicationOptions, type RouteOption } from '../replication/index.js';
import { durationOf, type Raw } from './config-values.js';

/** The `replication` section of config.yaml as written (Harper's keys); `replicationSettings` adds the environment, flags and defaults. */
export interface ReplicationConfig {
  hostname?: string;
  port?: number;
  routes: RouteOption[];
  databases: '*' | string[];
  secret?: string;
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  stallTimeoutMs?: number;
}

/** What the command line sets (`--replication-hostname`, `--replication-port`, `--route`); each replaces the file's and the environment's value. */
export interface ReplicationOverrides {
  hostname?: string;
  port?: number;
  routes?: string[];
}

/** Replication as this node runs it. */
export interface ReplicationSettings {
  /** Where peers connect (0 picks a free port); undefined: this node only connects out. */
  port: number | undefined;
  options: ReplicationOptions;
}

export const defaultReplicationConfig: ReplicationConfig = { routes: [], databases: '*' };

const fail = (message: string): never => {
  throw new LodeError('BAD_REQUEST', message);
};

function portOf(value: unknown, where: string): number {
  const port = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (!(typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535)) fail(`${where} must be a port number from 0 to 65535`);
  return port as number;
}

function urlOf(value: unknown, where: string): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'ws:' && url.protocol !== 'wss:') || url.hostname === '') fail(`${where} must be a URL such as ws://10.0.0.2:9933`);
  return value as string;
}

function timeOf(value: unknown, where: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms) || ms < 0) fail(`${where} must be an ISO time such as 2026-01-01T00:00:00Z or milliseconds since 1970`);
  return ms;
}

/** `ws://host:port`, `{ url, startTime }`, or Harper's `{ hostname, port, startTime }`. */
function routeOf(value: unknown, where: string): RouteOption {
  if (typeof value === 'string') return { url: urlOf(value, where) };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`${where} must be a ws:// URL, { url, startTime } or { hostname, port }`);
  const raw = value as Raw;
  let url: string;
  if (raw.url !== undefined) url = urlOf(raw.url, `${where}.url`);
  else if (typeof raw.hostname === 'string' && raw.hostname !== '' && raw.port !== undefined) url = `ws://${raw.hostname}:${portOf(raw.port, `${where}.port`)}`;
  else return fail(`${where} needs a url, or a hostname and a port`);
  return raw.startTime === undefined ? { url } : { url, startTime: timeOf(raw.startTime, `${where}.startTime`) };
}

function databasesOf(value: unknown): '*' | string[] {
  if (value === undefined || value === '*') return '*';
  const list = Array.isArray(value) ? value : [value];
  return list.map((item, index) => {
    const name = typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as Raw).name : item;
    if (typeof name !== 'string' || name === '') return fail(`config.yaml: replication.databases[${index}] must be a database name (or the whole list '*')`);
    return name;
  });
}

function nameOf(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') fail(`${where} must be a non-empty string`);
  return value as string;
}

/** Parses the `replication` section; nothing is required here, because the environment and flags may complete it. */
export function replicationConfigOf(raw: Raw): ReplicationConfig {
  const config: ReplicationConfig = { routes: [], databases: databasesOf(raw.databases) };
  const hostname = nameOf(raw.hostname, 'config.yaml: replication.hostname');
  if (hostname !== undefined) config.hostname = hostname;
  if (raw.port !== undefined) config.port = portOf(raw.port, 'config.yaml: replication.port');
  if (raw.routes !== undefined && raw.routes !== null) {
    if (!Array.isArray(raw.routes)) fail('config.yaml: replication.routes must be a list of peers');
    config.routes = (raw.routes as unknown[]).map((route, index) => routeOf(route, `config.yaml: replication.routes[${index}]`));
  }
  const secret = nameOf(raw.secret, 'config.yaml: replication.secret');
  if (secret !== undefined) config.secret = secret;
  for (const key of ['pingInterval', 'pingTimeout', 'stallTimeout'] as const) {
    if (raw[key] !== undefined) config[`${key}Ms`] = durationOf(raw[key], `replication.${key}`);
  }
  const pingInterval = config.pingIntervalMs ?? defaultReplicationTuning.pingIntervalMs;
  const pingTimeout = config.pingTimeoutMs ?? defaultReplicationTuning.pingTimeoutMs;
  if (pingTimeout <= pingInterval) fail(`config.yaml: replication.pingTimeout (${pingTimeout} ms) must be longer than replication.pingInterval (${pingInterval} ms)`);
  return config;
}

/**
 * Replication as this node runs it: config.yaml, then the environment (`LODE_REPLICATION_HOSTNAME`,
 * `LODE_REPLICATION_PORT`, `LODE_REPLICATION_ROUTES`, `LODE_CLUSTER_SECRET`), then the flags.
 * Undefined when replication is off (no port and no routes). On without a secret is an error:
 * an open replication port would let anyone write to every table.
 */
export function replicationSettings(config: ReplicationConfig, overrides: ReplicationOverrides = {}, env: NodeJS.ProcessEnv = process.env): ReplicationSettings | undefined {
  const envRoutes = env.LODE_REPLICATION_ROUTES?.split(',').map((url) => url.trim()).filter((url) => url !== '');
  const routes =
    overrides.routes?.map((url, index) => routeOf(url, `--route #${index + 1}`)) ??
    envRoutes?.map((url) => routeOf(url, `LODE_REPLICATION_ROUTES (${url})`)) ??
    config.routes;
  const envPort = env.LODE_REPLICATION_PORT?.trim() ? portOf(env.LODE_REPLICATION_PORT, 'LODE_REPLICATION_PORT') : undefined;
  const port = overrides.port ?? envPort ?? config.port;
  if (port === undefined && routes.length === 0) return undefined;
  const secret = env.LODE_CLUSTER_SECRET || config.secret;
  if (secret === undefined) {
    fail('Replication is on (a replication port or routes are set) but there is no cluster secret: set replication.secret in config.yaml or the LODE_CLUSTER_SECRET environment variable, the same on every node');
  }
  const options: ReplicationOptions = {
    ...defaultReplicationTuning,
    hostname: overrides.hostname ?? (env.LODE_REPLICATION_HOSTNAME || undefined) ?? config.hostname ?? osHostname(),
    secret: secret!,
    routes,
    databases: config.databases,
  };
  if (config.pingIntervalMs !== undefined) options.pingIntervalMs = config.pingIntervalMs;
  if (config.pingTimeoutMs !== undefined) options.pingTimeoutMs = config.pingTimeoutMs;
  if (config.stallTimeoutMs !== undefined) options.stallTimeoutMs = config.stallTimeoutMs;
  return { port, options };
}
