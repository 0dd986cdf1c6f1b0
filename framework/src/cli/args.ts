export interface CliCommand {
  command: 'dev' | 'run' | 'types' | 'help' | 'version';
  dir: string;
  port: number;
  host: string;
  dataDir: string | undefined;
  /** `--authorize-local`: loopback requests run as the super user (always so in `dev`). */
  authorizeLocal: boolean;
}

export class UsageError extends Error {}

export const usage = `Usage: lode <command> [dir] [options]

Commands:
  dev [dir]    serve the app and reload schema and code on every change
  run [dir]    serve the app without watching files
  types [dir]  write <dir>/.lode/types.d.ts from the schema, then exit

Options:
  --port <n>     port to listen on (default 9926; 0 picks a free one)
  --host <host>  interface to listen on (default 127.0.0.1)
  --data <path>  data directory (default <dir>/.lode/data)
  --authorize-local  requests from this machine run as the super user (dev always does)
  -h, --help     show this help
  -v, --version  print the version`;

export function parseArgs(argv: string[]): CliCommand {
  const result: CliCommand = { command: 'help', dir: '.', port: 9926, host: '127.0.0.1', dataDir: undefined, authorizeLocal: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '-h':
      case '--help':
        return { ...result, command: 'help' };
      case '-v':
      case '--version':
        return { ...result, command: 'version' };
      case '--port': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be an integer from 0 to 65535');
        result.port = port;
        break;
      }
      case '--host':
        result.host = value();
        break;
      case '--data':
        result.dataDir = value();
        break;
      case '--authorize-local':
        result.authorizeLocal = true;
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`Unknown option ${arg}`);
        positional.push(arg);
    }
  }
  const [command, dir, ...extra] = positional;
  if (command === undefined) return result;
  if (command !== 'dev' && command !== 'run' && command !== 'types') throw new UsageError(`Unknown command "${command}"`);
  if (extra.length > 0) throw new UsageError(`Unexpected argument ${extra[0]}`);
  return { ...result, command, dir: dir ?? '.' };
}
