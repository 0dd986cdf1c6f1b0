import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { LodeError } from '../errors/index.js';

/** An app's `config.yaml`, with Harper's keys. Without the file, the defaults below apply. */
export interface AppConfig {
  /** Globs of schema files, relative to the app folder. */
  graphqlSchema: string[];
  /** Globs of resource modules (TypeScript or JavaScript). */
  jsResource: string[];
  rest: { enabled: boolean; maxBodySize: number };
  /** Folder served as static files, relative to the app folder. */
  static: string | undefined;
}

export const DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024;

export const defaultConfig: AppConfig = {
  graphqlSchema: ['*.graphql'],
  jsResource: ['resources.{ts,mts,js,mjs}'],
  rest: { enabled: true, maxBodySize: DEFAULT_MAX_BODY_SIZE },
  static: 'web',
};

type Raw = Record<string, unknown>;

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
  };
}

export async function loadConfig(appDir: string): Promise<AppConfig> {
  const text = await readFile(join(appDir, 'config.yaml'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return text === undefined ? defaultConfig : parseConfig(text);
}
