import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Authenticator } from '../auth/index.js';
import { LodeError } from '../errors/index.js';
import { loadRoles } from './security.js';
import type {
  ContextStore} from '../resources/index.js';
import {
  Resource,
  ResourceRegistry,
  bindTableResource,
  collectExports,
  declaredPath,
  isResourceClass,
  parseRoute,
  runTransaction,
  type MountedResource,
  type TransactionFunction,
  type ResourceClass,
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
  auth: Authenticator;
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

const STATIC_PATH = /static\s+(?:readonly\s+)?(?:get\s+)?path\b/;

/**
 * Where an export's `static path` is declared: the first one after its class declaration (a
 * bundler may have renamed the class, then the first in the file), else the class, else the export.
 */
async function locateRoute(appDir: string, file: string, exportPath: string, resource: ResourceClass, code: string, message: string): Promise<Diagnostic> {
  const lines = (await readFile(join(appDir, file), 'utf8')).split('\n');
  const className = (resource as { name?: unknown }).name;
  const declaration = exportPath === 'default' ? /export\s+default\s+class\b/ : typeof className === 'string' && className !== '' ? new RegExp(`class\\s+${className.replace(/\$/g, '\\$')}\\b`) : undefined;
  const classLine = declaration ? lines.findIndex((line) => declaration.test(line)) : -1;
  if (declaredPath(resource) !== undefined) {
    const index = lines.findIndex((line, at) => at >= classLine && STATIC_PATH.test(line));
    if (index !== -1) return at(file, message, code, index + 1, lines[index]!.search(STATIC_PATH) + 1);
  }
  if (classLine !== -1) return at(file, message, code, classLine + 1, lines[classLine]!.search(declaration!) + 1);
  const where = await locateExport(appDir, [file], exportPath.split('/')[0]!);
  return { ...where, code, message };
}

/** The module's default export when it is a resource class: mounted at its `static path`, else at the root. */
function defaultExport(namespace: Record<string, unknown>): { path: string; resource: ResourceClass }[] {
  return isResourceClass(namespace.default) ? [{ path: 'default', resource: namespace.default }] : [];
}

/**
 * Where an export is mounted: at its export path, or at its `static path` resolved against the
 * folder of that path (`api/v1` for `api/v1/Widget`; the root for the default export). A string
 * is what is wrong with the declared path.
 */
function mountOf(exportPath: string, resource: ResourceClass, origin: string, tables: TableDef[]): MountedResource | string {
  const table = resource instanceof Function && resource.prototype instanceof TableResource ? (resource as typeof TableResource).tableName : undefined;
  const def = table === undefined ? undefined : tables.find((candidate) => candidate.name === table);
  const mount = { path: exportPath, resource, origin, ...(def && { table, attributes: summarize(def) }) };
  const declared = declaredPath(resource);
  if (declared === undefined) return mount;
  if (typeof declared !== 'string') return `must be a string like '/widget/:id', not ${declared === null ? 'null' : typeof declared}`;
  const parsed = parseRoute(declared, exportPath.includes('/') ? exportPath.slice(0, exportPath.lastIndexOf('/')) : '');
  if (!parsed.ok) return parsed.message;
  const { pattern } = parsed;
  return pattern.dynamic ? { ...mount, path: pattern.source, route: pattern } : { ...mount, path: pattern.source };
}

/** How a diagnostic names an export: `export "api/v1/Widget"`, or the default export. */
function exportLabel(exportPath: string): string {
  return exportPath === 'default' ? 'the default export' : `export "${exportPath}"`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Two resources at the same URLs: the same export name, literal path or pattern shape. */
async function conflictAt(appDir: string, file: string, exportPath: string, mount: MountedResource, conflict: MountedResource, conflictExport: string | undefined): Promise<Diagnostic> {
  const other = conflictExport === undefined ? `${conflict.origin}${conflict.table ? ` (@export on ${conflict.table})` : ''}` : `${exportLabel(conflictExport)} of ${conflict.origin}`;
  if (declaredPath(mount.resource) === undefined) {
    const where = await locateExport(appDir, [file], exportPath.split('/')[0]!);
    const hint = conflictExport === undefined ? ' Remove @export from the schema when a resource class extends the table.' : '';
    where.message = `Export "${exportPath}" is also mounted by ${other}.${hint}`;
    return where;
  }
  const what = mount.route ? `has the path pattern /${mount.path}, which matches the same URLs as` : `is mounted at /${mount.path} by its static path, and so is`;
  const message = `${capitalized(exportLabel(exportPath))} ${what} ${other}${conflict.path === mount.path ? '' : ` (/${conflict.path})`}: two resources cannot answer the same URLs.`;
  return locateRoute(appDir, file, exportPath, mount.resource, mount.route ? 'ROUTE_CONFLICT' : 'EXPORT_CONFLICT', message);
}

export async function buildGeneration(input: GenerationInput): Promise<GenerationResult> {
  const { appDir, config, storage, contexts, realtime, number, logger } = input;
  const compiled = await compileAppSchema(appDir, config);
  if (hasErrors(compiled.diagnostics)) return { ok: false, diagnostics: compiled.diagnostics };
  const roles = await loadRoles(appDir, config.roles);
  if (!roles.policy) return { ok: false, diagnostics: roles.diagnostics };
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
    const resource = bindTableResource(stored, contexts, realtime, logger);
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

  /** The export behind each mount from a resource file, for diagnostics. */
  const exportPaths = new Map<MountedResource, string>();
  let root: MountedResource | undefined;
  const transaction: TransactionFunction = (contextOrBody, body) => runTransaction(contexts, contextOrBody, body);
  RuntimeLinks.register(runtimeKey, { tables, databases, getContext: contexts.getContext, transaction, Resource, LodeError });
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
      for (const { path, resource } of [...collectExports(namespace), ...defaultExport(namespace)]) {
        if (path === 'default' && declaredPath(resource) === undefined) {
          if (root) {
            const message = `The default export answers at the root, and so does the default export of ${root.origin}: keep one, or give one a static path.`;
            return { ok: false, diagnostics: [...diagnostics, await locateRoute(appDir, file, path, resource, 'EXPORT_CONFLICT', message)] };
          }
          root = { path: '', resource, origin: file };
          continue;
        }
        const mount = mountOf(path, resource, file, compiled.tables);
        if (typeof mount === 'string') {
          const message = `${capitalized(exportLabel(path))} has the path "${String(declaredPath(resource))}", which ${mount}.`;
          return { ok: false, diagnostics: [...diagnostics, await locateRoute(appDir, file, path, resource, 'ROUTE_PATTERN', message)] };
        }
        const conflict = mount.route ? mounts.find((other) => other.route?.shape === mount.route!.shape) : mounts.find((other) => !other.route && other.path === mount.path);
        if (conflict) return { ok: false, diagnostics: [...diagnostics, await conflictAt(appDir, file, path, mount, conflict, exportPaths.get(conflict))] };
        mounts.push(mount);
        exportPaths.set(mount, path);
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
    registry: config.rest.enabled ? new ResourceRegistry(mounts, root) : new ResourceRegistry([]),
    contexts,
    staticFiles: input.staticFiles,
    diagnostics,
    access: roles.policy,
    auth: input.auth,
  };
  return { ok: true, generation };
}
