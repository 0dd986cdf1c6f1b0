import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { Diagnostic } from '../schema/index.js';

/** The framework's own declarations, so `import … from 'lode'` type-checks even before `npm install`. */
function frameworkTypes(): string {
  const index = fileURLToPath(new URL('../index.js', import.meta.url));
  const declaration = index.replace(/\.js$/, '.d.ts');
  return existsSync(declaration) ? declaration : index.replace(/\.js$/, '.ts');
}

const defaults: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  esModuleInterop: true,
};

/**
 * Type-checks an app's TypeScript resource modules between reloads. The builder program is kept,
 * so after the first check only changed files are re-checked.
 */
export class TypeChecker {
  readonly #appDir: string;
  #program: ts.SemanticDiagnosticsBuilderProgram | undefined;
  /** Parsed files by path and modification time: the standard library and @types are parsed once. */
  readonly #sourceFiles = new Map<string, { mtimeMs: number; file: ts.SourceFile | undefined }>();

  constructor(appDir: string) {
    this.#appDir = appDir;
  }

  #options(): ts.CompilerOptions {
    const configPath = join(this.#appDir, 'tsconfig.json');
    let options = defaults;
    if (existsSync(configPath)) {
      const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
      if (!read.error) options = ts.parseJsonConfigFileContent(read.config, ts.sys, this.#appDir).options;
    }
    return { ...options, noEmit: true, paths: { ...options.paths, lode: [frameworkTypes()] } };
  }

  check(files: string[]): Diagnostic[] {
    const roots = files.filter((file) => /\.[mc]?tsx?$/.test(file)).map((file) => join(this.#appDir, file));
    if (roots.length === 0) return [];
    const generated = join(this.#appDir, '.lode', 'types.d.ts');
    if (existsSync(generated)) roots.push(generated);
    const options = this.#options();
    const host = ts.createIncrementalCompilerHost(options);
    const parse = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
      const mtimeMs = statSync(fileName, { throwIfNoEntry: false })?.mtimeMs ?? -1;
      const cached = this.#sourceFiles.get(fileName);
      if (cached && cached.mtimeMs === mtimeMs) return cached.file;
      const file = parse(fileName, languageVersion, onError, shouldCreate);
      this.#sourceFiles.set(fileName, { mtimeMs, file });
      return file;
    };
    this.#program = ts.createSemanticDiagnosticsBuilderProgram(roots, options, host, this.#program);
    const found = [...this.#program.getSyntacticDiagnostics(), ...this.#program.getSemanticDiagnostics()];
    return found.filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error).map((diagnostic) => this.#toDiagnostic(diagnostic));
  }

  #toDiagnostic(diagnostic: ts.Diagnostic): Diagnostic {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!diagnostic.file || diagnostic.start === undefined) {
      return { severity: 'error', code: `TS${diagnostic.code}`, message, file: 'tsconfig.json', line: 1, column: 1 };
    }
    const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const file = diagnostic.file.fileName.startsWith(this.#appDir) ? diagnostic.file.fileName.slice(this.#appDir.length + 1) : diagnostic.file.fileName;
    return { severity: 'error', code: `TS${diagnostic.code}`, message, file, line: line + 1, column: character + 1 };
  }
}
