import { compileSchema, type CompileResult, type Diagnostic, type TableDef } from '../../../framework/src/schema/index.js';

export const lines = (...rows: string[]): string => rows.join('\n');

export function compile(text: string, file = 'schema.graphql'): CompileResult {
  return compileSchema([{ file, text }]);
}

export function codes(result: CompileResult): string[] {
  return result.diagnostics.map((d) => d.code);
}

/** The one diagnostic with this code; fails when there is none or several. */
export function single(result: CompileResult, code: string): Diagnostic {
  const found = result.diagnostics.filter((d) => d.code === code);
  if (found.length !== 1) throw new Error(`expected one ${code}, got ${JSON.stringify(result.diagnostics, null, 2)}`);
  return found[0]!;
}

export function table(result: CompileResult, name: string): TableDef {
  const found = result.tables.find((t) => t.name === name);
  if (!found) throw new Error(`no table ${name} in ${result.tables.map((t) => t.name).join(', ')}`);
  return found;
}
