// Lint rules, including the dependency direction of framework/src (docs/architecture.md):
// util, errors ← schema ← storage ← query ← realtime ← resources ← transport ← app ← dev ← cli.
// test/architecture.test.ts checks the same edges and cycles independently of ESLint.
import tseslint from 'typescript-eslint';
import { moduleLayers } from './test/architecture-rules.js';

const restrictedFor = (module) => {
  const allowed = new Set(moduleLayers[module]);
  const forbidden = Object.keys(moduleLayers).filter((other) => other !== module && !allowed.has(other));
  return forbidden.map((other) => ({
    group: [`../${other}`, `../${other}/*`, `../../${other}/*`],
    message: `framework/src/${module} must not import ${other}: dependencies point one way (docs/architecture.md).`,
  }));
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.lode/**', 'test/.tmp/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      'max-lines': ['error', { max: 600, skipBlankLines: true, skipComments: true }],
    },
  },
  ...Object.keys(moduleLayers).map((module) => ({
    files: [`framework/src/${module}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns: restrictedFor(module) }],
    },
  })),
);
