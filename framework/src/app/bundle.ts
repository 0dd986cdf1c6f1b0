import { build, type Message, type Plugin } from 'esbuild';
import { basename, extname, relative } from 'node:path';
import type { Diagnostic } from '../schema/index.js';
import { runtimeLinkModuleUrl } from './runtime-link.js';

const frameworkIndexUrl = new URL('../index.js', import.meta.url).href;

/**
 * `import … from 'lode'` in app code resolves to this generated module: the framework's public
 * API, with `tables`, `databases`, `getContext` and `transaction` replaced by the loading generation's own.
 */
function lodeLinkPlugin(runtimeKey: string): Plugin {
  return {
    name: 'lode-runtime-link',
    setup(builder) {
      builder.onResolve({ filter: /^lode$/ }, () => ({ path: 'lode', namespace: 'lode-runtime' }));
      builder.onLoad({ filter: /.*/, namespace: 'lode-runtime' }, () => ({
        contents: [
          `export * from ${JSON.stringify(frameworkIndexUrl)};`,
          `import { RuntimeLinks } from ${JSON.stringify(runtimeLinkModuleUrl)};`,
          `const runtime = RuntimeLinks.lookup(${JSON.stringify(runtimeKey)});`,
          'export const tables = runtime.tables;',
          'export const databases = runtime.databases;',
          'export const getContext = runtime.getContext;',
          'export const transaction = runtime.transaction;',
        ].join('\n'),
        loader: 'js',
      }));
      builder.onResolve({ filter: /^file:/ }, (args) => ({ path: args.path, external: true }));
    },
  };
}

export interface BundleResult {
  /** Output module per entry file, in entry order. */
  outputs: string[];
  diagnostics: Diagnostic[];
}

function toDiagnostic(appDir: string, message: Message, severity: Diagnostic['severity']): Diagnostic {
  return {
    severity,
    code: 'RESOURCE_BUILD',
    message: message.text,
    file: message.location ? message.location.file : relative(appDir, appDir) || '.',
    line: message.location?.line ?? 1,
    column: (message.location?.column ?? 0) + 1,
  };
}

/**
 * Compiles the app's resource modules (TypeScript or JavaScript) with esbuild into `outDir`:
 * one ES module per entry, shared code split into chunks, npm packages left to Node, and
 * source maps so stack traces point at the user's own lines.
 */
export async function bundleResources(appDir: string, entries: string[], outDir: string, runtimeKey: string): Promise<BundleResult> {
  if (entries.length === 0) return { outputs: [], diagnostics: [] };
  try {
    const result = await build({
      absWorkingDir: appDir,
      entryPoints: entries,
      outdir: outDir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      packages: 'external',
      outExtension: { '.js': '.mjs' },
      entryNames: '[name]',
      logLevel: 'silent',
      plugins: [lodeLinkPlugin(runtimeKey)],
    });
    return {
      outputs: entries.map((entry) => `${outDir}/${basename(entry, extname(entry))}.mjs`),
      diagnostics: result.warnings.map((warning) => toDiagnostic(appDir, warning, 'warning')),
    };
  } catch (error) {
    const failure = error as { errors?: Message[]; warnings?: Message[] };
    if (!failure.errors) throw error;
    return {
      outputs: [],
      diagnostics: [
        ...failure.errors.map((message) => toDiagnostic(appDir, message, 'error')),
        ...(failure.warnings ?? []).map((message) => toDiagnostic(appDir, message, 'warning')),
      ],
    };
  }
}
