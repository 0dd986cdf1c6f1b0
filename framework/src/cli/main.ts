#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, AppLoadError, compileAppSchema, loadConfig, printDiagnostics, writeTypeDeclarations } from '../app/index.js';
import { isLodeError } from '../errors/index.js';
import { consoleLogger } from '../util/index.js';
import { DevServer } from '../dev/index.js';
import { parseArgs, usage, UsageError, type CliCommand, type ServeCommand } from './args.js';
import { runAccountCommand } from './user-commands.js';

process.setSourceMapsEnabled(true);

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

async function serve(command: ServeCommand): Promise<void> {
  const options = { dir: command.dir, port: command.port, host: command.host, dataDir: command.dataDir, replication: command.replication, ...(command.authorizeLocal && { authorizeLocal: true }) };
  const running = command.command === 'dev' ? await DevServer.start(options) : await App.start(options);
  const app = running instanceof DevServer ? running.app : running;
  console.log(`Lode listening on ${app.url}${command.command === 'dev' ? ' (dev: watching for changes)' : ''}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing in-flight requests and closing`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** `lode types`: the schema's TypeScript declarations without starting a server (for CI typechecks). */
async function types(command: ServeCommand): Promise<number> {
  const dir = resolve(command.dir);
  const compiled = await compileAppSchema(dir, await loadConfig(dir));
  printDiagnostics(consoleLogger, compiled.diagnostics);
  if (compiled.diagnostics.some((diagnostic) => diagnostic.severity === 'error')) return 1;
  await writeTypeDeclarations(dir, compiled.tables);
  console.log(`wrote ${resolve(dir, '.lode', 'types.d.ts')}`);
  return 0;
}

async function main(argv: string[]): Promise<void> {
  let command: CliCommand;
  try {
    command = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${usage}`);
    process.exit(2);
  }
  if (command.command === 'help') return console.log(usage);
  if (command.command === 'version') return console.log(version());
  if (command.command === 'types') process.exit(await types(command));
  try {
    if (command.command === 'user' || command.command === 'role') {
      await runAccountCommand(command, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
      process.exit(0);
    }
    await serve(command);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(2);
    }
    console.error(error instanceof AppLoadError ? 'The app failed to load (diagnostics above).' : isLodeError(error) ? error.message : error);
    process.exit(1);
  }
}

await main(process.argv.slice(2));
