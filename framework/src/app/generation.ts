import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LodeError } from '../errors/index.js';
import type {
  ContextStore} from '../resources/index.js';
import {
  Resource,
  ResourceRegistry,
  bindTableResource,
  collectExports,
  type MountedResource,
  TableResource,
} from '../resources/index.js';
import { hasErrors, type Diagnostic, type TableDef, type TypeRef } from '../schema/index.js';
import type { RealtimeHub } from '../realtime/index.js';
import type { Storage } from '../storage/index.js';
import type { RouteTable } from '../transport/index.js';
import type { Logger } from '../util/index.js';
import { compileAppSchema, findAppFiles, writeTypeDeclarations } from './app-files.js';
import type { AppConfig } from './config.js';
import { bundleResources } from './bundle.js';
import { RuntimeLinks } from './runtime-link.js';

/** One loaded version of an app: compiled schema, table classes, resource modules and routes. */
export interface Generation extends RouteTable {
  readonly number: number;
  readonly tableDefs: TableDef[];
  readonly tables: Record<string, typeof TableResource>;
  readonly diagnostics: Diagnostic[];
}

export interface GenerationInput {
  appDir: string;
  config: AppConfig;
  storage: Storage;
  contexts: ContextStore;
  realtime: RealtimeHub;
  number: number;
  /** Unique per App instance, so generations of different apps never share runtime links. */
  appKey: string;
  /** This app's folder for bundled generations. */
  buildRoot: string;
  logger: Logger;
  staticFiles: RouteTable['staticFiles'];
  checkResources?: ResourceChecker;
}

/** A check of the resource files before they are bundled (dev mode type-checks TypeScript). */
export type ResourceChecker = (files: string[]) => Diagnostic[] | Promise<Diagnostic[]>;

export type GenerationResult = { ok: true; generation: Generation } | { ok: false; diagnostics: Diagnostic[] };

function typeName(type: TypeRef): string {
  switch (type.kind) {
    case 'list':
      return `[${typeName(type.of)}]`;
    case 'scalar':
    case 'enum':
    case 'object':
    case 'table':
      return type.name;
  }
}

function summarize(def: TableDef): { name: string; type: string }[] {
  return def.attributes.map((attribute) => ({ name: attribute.name, type: typeName(attribute.type) }));
}

function at(file: string, message: string, code: string, line = 1, column = 1): Diagnostic {
  return { severity: 'error', code, message, file, line, column };
}

/** Where `export … Name` appears in a resource file, for a diagnostic that points at it. */
async function locateExport(appDir: string, files: string[], name: string): Promise<Diagnostic> {
  for (const file of files) {
    const lines = (await readFile(join(appDir, file), 'utf8')).split('\n');
    const pattern = new RegExp(`export\\s+(?:const|let|class|function|async function)\\s+${name}\\b`);
    const index = lines.findIndex((line) => pattern.test(line));
    if (index !== -1) return at(file, '', 'EXPORT_CONFLICT', index + 1, lines[index]!.indexOf(name) + 1);
  }
  return at(files[0] ?? 'resources.ts', '', 'EXPORT_CONFLICT');
}

export async function buildGeneration(input: GenerationInput): Promise<GenerationResult> {
  const { appDir, config, storage, contexts, realtime, number, logger } = input;
  const compiled = await compileAppSchema(appDir, config);
  if (hasErrors(compiled.diagnostics)) return { ok: false, diagnostics: compiled.diagnostics };
  const diagnostics = [...compiled.diagnostics];

  const changes = await storage.applySchema(compiled.tables);
  for (const name of changes.createdTables) logger.info(`created table ${name}`);
  for (const name of changes.indexesBuilding) logger.info(`building index ${name} in the background`);
  await writeTypeDeclarations(appDir, compiled.tables);

  const tables: Record<string, typeof TableResource> = {};
  const databases: Record<string, Record<string, typeof TableResource>> = {};
  const mounts: MountedResource[] = [];
  for (const def of compiled.tables) {
    const stored = storage.table(def.name);
    if (!stored) throw new LodeError('INTERNAL', `Storage did not open table ${def.name}`);
    const resource = bindTableResource(stored, contexts, realtime);
    tables[def.name] = resource;
    (databases[def.database] ??= {})[def.name] = resource;
    if (def.exportName !== undefined) {
      mounts.push({
        path: def.exportName,
        resource,
        table: def.name,
        attributes: summarize(def),
        origin: def.location.file,
      });
    }
  }

  const resourceFiles = await findAppFiles(appDir, config.jsResource);
  const checked = (await input.checkResources?.(resourceFiles)) ?? [];
  if (hasErrors(checked)) return { ok: false, diagnostics: [...diagnostics, ...checked] };
  const buildDir = join(input.buildRoot, String(number));
  const runtimeKey = `${input.appKey}:${number}`;
  const bundled = await bundleResources(appDir, resourceFiles, buildDir, runtimeKey);
  diagnostics.push(...bundled.diagnostics);
  if (hasErrors(bundled.diagnostics)) return { ok: false, diagnostics };

  RuntimeLinks.register(runtimeKey, { tables, databases, getContext: contexts.getContext, Resource, LodeError });
  try {
    for (const [index, output] of bundled.outputs.entries()) {
      const file = resourceFiles[index]!;
      let namespace: Record<string, unknown>;
      try {
        namespace = (await import(pathToFileURL(output).href)) as Record<string, unknown>;
      } catch (error) {
        logger.error(`${file}: loading failed`, error);
        return { ok: false, diagnostics: [...diagnostics, at(file, `Loading the module failed: ${(error as Error).message}`, 'RESOURCE_LOAD')] };
      }
      for (const { path, resource } of collectExports(namespace)) {
        const existing = mounts.find((mount) => mount.path === path);
        if (existing) {
          const where = await locateExport(appDir, [file], path.split('/')[0]!);
          where.message = `Export "${path}" is also mounted by ${existing.origin}${existing.table ? ` (@export on ${existing.table})` : ''}. Remove @export from the schema when a resource class extends the table.`;
          return { ok: false, diagnostics: [...diagnostics, where] };
        }
        const table = resource instanceof Function && resource.prototype instanceof TableResource ? (resource as typeof TableResource).tableName : undefined;
        const def = table === undefined ? undefined : compiled.tables.find((candidate) => candidate.name === table);
        mounts.push({ path, resource, origin: file, ...(def && { table, attributes: summarize(def) }) });
      }
    }
  } finally {
    RuntimeLinks.unregister(runtimeKey);
  }

  const generation: Generation = {
    number,
    tableDefs: compiled.tables,
    tables,
    // Harper's `rest` key switches the REST endpoints; without it only static files and /health answer.
    registry: new ResourceRegistry(config.rest.enabled ? mounts : []),
    contexts,
    staticFiles: input.staticFiles,
    diagnostics,
  };
  return { ok: true, generation };
}
