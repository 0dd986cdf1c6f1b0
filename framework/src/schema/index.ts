/** The schema compiler: GraphQL SDL → table IR + diagnostics, and TypeScript declarations from the IR. */
export * from './ir.js';
export { compileSchema } from './compile-schema.js';
export { hasErrors, formatDiagnostic } from './diagnostics.js';
export { emitTypeDeclarations } from './emit-types.js';
export { attributeByName } from './attribute-by-name.js';
