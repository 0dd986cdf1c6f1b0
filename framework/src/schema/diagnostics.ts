import type { ASTNode } from 'graphql';
import type { Diagnostic, DiagnosticSeverity, SourceLocation } from './ir.js';

export function hasErrors(diagnostics: Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** `file:line:column severity CODE: message`, the shape editors and terminals turn into links. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code}: ${d.message}`;
}

export function locationOf(file: string, node: ASTNode | undefined): SourceLocation {
  const token = node?.loc?.startToken;
  return { file, line: token?.line ?? 1, column: token?.column ?? 1 };
}

/** Collects the diagnostics of one compilation; nothing is thrown for bad input. */
export class DiagnosticSink {
  readonly diagnostics: Diagnostic[] = [];

  error(file: string, node: ASTNode | undefined, code: string, message: string): void {
    this.add('error', file, node, code, message);
  }

  warning(file: string, node: ASTNode | undefined, code: string, message: string): void {
    this.add('warning', file, node, code, message);
  }

  report(severity: DiagnosticSeverity, at: SourceLocation, code: string, message: string): void {
    this.diagnostics.push({ ...at, severity, code, message });
  }

  private add(severity: DiagnosticSeverity, file: string, node: ASTNode | undefined, code: string, message: string): void {
    this.report(severity, locationOf(file, node), code, message);
  }

  /** Source order (files in the order given, then line, column); equal positions keep report order. */
  sorted(files: string[]): Diagnostic[] {
    const rank = new Map(files.map((file, index) => [file, index] as const));
    return this.diagnostics
      .map((d, index) => ({ d, index }))
      .sort((a, b) =>
        (rank.get(a.d.file) ?? 0) - (rank.get(b.d.file) ?? 0) ||
        a.d.line - b.d.line ||
        a.d.column - b.d.column ||
        a.index - b.index,
      )
      .map(({ d }) => d);
  }
}
