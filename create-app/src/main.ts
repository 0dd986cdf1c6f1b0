import { relative, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaffold, ScaffoldError } from './scaffold.js';

const templateDir = fileURLToPath(new URL('../../examples/starter/', import.meta.url));
const frameworkDir = fileURLToPath(new URL('../../framework/', import.meta.url));

const usage = `Usage: create-app <dir>

Creates a new Lode app in <dir> (a new or empty folder) from the starter template:
a schema, resource classes, tests and a web page, ready for \`npm install && npm run dev\`.

Options:
  -h, --help  show this help`;

/** The `cd` argument for the next steps: relative when the project is below the current folder, quoted for sh. */
function displayPath(target: string): string {
  const fromHere = relative(process.cwd(), target);
  const path = fromHere !== '' && !fromHere.startsWith('..') && !isAbsolute(fromHere) ? fromHere : target;
  return /^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

/** Runs the CLI and returns its exit code: 0 done, 1 refused or failed, 2 bad usage. */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    console.log(usage);
    return 0;
  }
  const unknown = argv.find((arg) => arg.startsWith('-'));
  if (unknown !== undefined || argv.length !== 1) {
    const problem = unknown !== undefined ? `Unknown option ${unknown}` : argv.length === 0 ? 'Missing the folder to create' : `Unexpected argument ${argv[1]}`;
    console.error(`${problem}\n\n${usage}`);
    return 2;
  }
  const target = resolve(argv[0]!);
  try {
    const result = await scaffold({ template: templateDir, target, frameworkDir });
    const cdPath = displayPath(target);
    console.log(
      [
        `Created ${result.packageName} in ${target} (${result.files.length} files from the Lode starter).`,
        '',
        'Next steps:',
        `  cd ${cdPath} && npm install && npm run dev`,
        '',
        'The dev server prints its URL (http://127.0.0.1:9926 by default) and reloads on every change.',
        'npm test runs the app\'s tests; README.md in the new folder lists its endpoints.',
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    if (error instanceof ScaffoldError) {
      console.error(`create-app: ${error.message}`);
      return 1;
    }
    console.error('create-app failed:', error);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
