import { access, copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { toPackageName } from './package-name.js';

/** Folders of the template that are installs or build output, never part of a new project. */
const excluded = new Set(['node_modules', '.lode', 'dist']);

export interface ScaffoldOptions {
  /** The template folder (examples/starter). */
  template: string;
  /** The folder to create; it must not exist or be empty. */
  target: string;
  /** The absolute path of the `lode` package the new project depends on. */
  frameworkDir: string;
}

export interface ScaffoldResult {
  packageName: string;
  /** Paths relative to the target, in copy order. */
  files: string[];
}

/** A refusal the user can act on (the target is taken); the CLI prints its message and exits 1. */
export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
}

/** Throws unless `target` is absent or an empty folder; tells which, so a failure can undo only its own work. */
async function ensureEmptyTarget(target: string): Promise<'absent' | 'empty'> {
  const info = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (info === undefined) return 'absent';
  if (!info.isDirectory()) throw new ScaffoldError(`${target} exists and is not a folder. Choose another name.`);
  const entries = await readdir(target);
  if (entries.length > 0) {
    throw new ScaffoldError(`${target} is not empty (it holds ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}). Choose a new or empty folder.`);
  }
  return 'empty';
}

async function copyTree(from: string, to: string, relative: string, copied: string[]): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    if (excluded.has(entry.name)) continue;
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) await copyTree(join(from, entry.name), join(to, entry.name), path, copied);
    else if (entry.isFile()) {
      await copyFile(join(from, entry.name), join(to, entry.name));
      copied.push(path);
    }
  }
}

interface Manifest {
  name?: string;
  dependencies?: Record<string, string>;
}

/** Names the package after its folder and points its `lode` dependency at this checkout. */
async function adaptManifest(target: string, packageName: string, frameworkDir: string): Promise<void> {
  const path = join(target, 'package.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Manifest;
  manifest.name = packageName;
  manifest.dependencies = { ...manifest.dependencies, lode: `file:${frameworkDir.replaceAll('\\', '/').replace(/\/+$/, '')}` };
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Copies the template into a new project folder and adapts its package.json. */
export async function scaffold(options: ScaffoldOptions): Promise<ScaffoldResult> {
  const { template, target, frameworkDir } = options;
  await access(join(template, 'package.json')).catch(() => {
    throw new ScaffoldError(`The starter template is missing (${template}). Run create-app from a Lode checkout.`);
  });
  const before = await ensureEmptyTarget(target);
  const files: string[] = [];
  const packageName = toPackageName(basename(target));
  try {
    await copyTree(template, target, '', files);
    await adaptManifest(target, packageName, frameworkDir);
  } catch (error) {
    // Leave the target as it was found rather than half a project.
    if (before === 'absent') await rm(target, { recursive: true, force: true });
    else for (const entry of await readdir(target)) await rm(join(target, entry), { recursive: true, force: true });
    throw error;
  }
  return { packageName, files };
}
