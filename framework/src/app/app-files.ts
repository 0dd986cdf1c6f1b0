import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { glob } from 'tinyglobby';
import { compileSchema, emitTypeDeclarations, type CompileResult, type TableDef } from '../schema/index.js';
import type { AppConfig } from './config.js';

/** App files matching config globs, relative to the app folder, sorted. */
export async function findAppFiles(appDir: string, patterns: string[]): Promise<string[]> {
  if (patterns.length === 0) return [];
  const files = await glob(patterns, { cwd: appDir, ignore: ['node_modules/**', '.lode/**'] });
  return files.sort();
}

export async function compileAppSchema(appDir: string, config: AppConfig): Promise<CompileResult> {
  const files = await findAppFiles(appDir, config.graphqlSchema);
  const sources = await Promise.all(files.map(async (file) => ({ file, text: await readFile(join(appDir, file), 'utf8') })));
  return compileSchema(sources);
}

/** Writes `.lode/types.d.ts`, which the app's tsconfig includes so `tables.X` is typed. */
export async function writeTypeDeclarations(appDir: string, tables: TableDef[]): Promise<void> {
  const lodeDir = join(appDir, '.lode');
  await mkdir(lodeDir, { recursive: true });
  await writeFile(join(lodeDir, 'types.d.ts'), emitTypeDeclarations(tables));
}
