/** `dev`, `run` and `types`: the commands that load the app. */
export interface ServeCommand {
  command: 'dev' | 'run' | 'types';
  dir: string;
  port: number;
  host: string;
  dataDir: string | undefined;
  /** `--authorize-local`: loopback requests run as the super user (always so in `dev`). */
  authorizeLocal: boolean;
  /** `--replication-port`, `--replication-hostname`, `--route`: each replaces config.yaml's and the environment's value. */
  replication: { port?: number; hostname?: string; routes?: string[] };
}

/** The app folder and data directory a `user` or `role` command works on. */
interface AccountTarget {
  dir: string;
  dataDir: string | undefined;
}

export type UserCommand = AccountTarget &
  (
    | { command: 'user'; action: 'list' }
    | { command: 'user'; action: 'remove'; username: string }
    | { command: 'user'; action: 'add'; username: string; roles: string[]; passwordStdin: boolean }
    | { command: 'user'; action: 'passwd'; username: string; passwordStdin: boolean }
  );

export type RoleCommand = AccountTarget & { command: 'role'; action: 'list' };

export type CliCommand = ServeCommand | UserCommand | RoleCommand | { command: 'help' } | { command: 'version' };

export class UsageError extends Error {}

export const usage = `Usage: lode <command> [dir] [options]

Commands:
  dev [dir]                 serve the app and reload schema and code on every change
  run [dir]                 serve the app without watching files
  types [dir]               write <dir>/.lode/types.d.ts from the schema, then exit
  user add <name> [dir]     add a user; asks for the password (or --password-stdin)
  user list [dir]           list the users and their roles
  user remove <name> [dir]  remove a user
  user passwd <name> [dir]  set a user's password; asks for it (or --password-stdin)
  role list [dir]           list the roles of roles.yaml, what they allow and who has them

Options:
  --port <n>         port to listen on (default 9926; 0 picks a free one)
  --host <host>      interface to listen on, HTTP and replication (default 127.0.0.1)
  --data <path>      data directory (default <dir>/.lode/data)
  --authorize-local  requests from this machine run as the super user (dev always does)
  --role <role>      user add: give the user this role (repeat for several; default none)
  --password-stdin   user add, user passwd: read the password from the first line of stdin
  -h, --help         show this help
  -v, --version      print the version

Replication (dev, run; each replaces config.yaml's replication key and the environment):
  --replication-port <n>         where peers connect to this node (replication.port)
  --replication-hostname <name>  this node's name in the cluster (replication.hostname)
  --route <url>                  a peer to connect to, ws://host:port; repeat for several
                                 (replication.routes)

Environment:
  LODE_CLUSTER_SECRET        the cluster secret, the same on every node; required when
                             replication is on (or replication.secret)
  LODE_REPLICATION_PORT      like --replication-port
  LODE_REPLICATION_HOSTNAME  like --replication-hostname
  LODE_REPLICATION_ROUTES    like --route: URLs separated by commas
  LODE_ADMIN_USERNAME, LODE_ADMIN_PASSWORD
                             on a first start, create this super user

Passwords are never taken as arguments: they would show in ps and the shell history.`;

interface Flags {
  port: number | undefined;
  host: string | undefined;
  dataDir: string | undefined;
  authorizeLocal: boolean;
  roles: string[];
  passwordStdin: boolean;
  replicationPort: number | undefined;
  replicationHostname: string | undefined;
  routes: string[];
}

const USER_ACTIONS = ['add', 'list', 'remove', 'passwd'] as const;

export function parseArgs(argv: string[]): CliCommand {
  const flags: Flags = { port: undefined, host: undefined, dataDir: undefined, authorizeLocal: false, roles: [], passwordStdin: false, replicationPort: undefined, replicationHostname: undefined, routes: [] };
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
        return { command: 'help' };
      case '-v':
      case '--version':
        return { command: 'version' };
      case '--port':
        flags.port = portOf(flag, value());
        break;
      case '--replication-port':
        flags.replicationPort = portOf(flag, value());
        break;
      case '--replication-hostname':
        flags.replicationHostname = value();
        if (flags.replicationHostname.trim() === '') throw new UsageError('--replication-hostname needs a name');
        break;
      case '--route': {
        const url = value();
        if (!/^wss?:\/\/[^/\s]+/.test(url)) throw new UsageError(`--route ${url}: a peer is a URL such as ws://10.0.0.2:9933`);
        flags.routes.push(url);
        break;
      }
      case '--host':
        flags.host = value();
        break;
      case '--data':
        flags.dataDir = value();
        break;
      case '--authorize-local':
        flags.authorizeLocal = true;
        break;
      case '--role':
        flags.roles.push(value());
        break;
      case '--password-stdin':
        flags.passwordStdin = true;
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`Unknown option ${arg}`);
        positional.push(arg);
    }
  }
  const [command, ...rest] = positional;
  if (command === undefined) return { command: 'help' };
  if (command === 'dev' || command === 'run' || command === 'types') return serveCommand(command, rest, flags);
  if (command === 'user') return userCommand(rest, flags);
  if (command === 'role') return roleCommand(rest, flags);
  throw new UsageError(`Unknown command "${command}"`);
}

function portOf(flag: string, text: string): number {
  const port = Number(text);
  if (text.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag} must be an integer from 0 to 65535`);
  return port;
}

const REPLICATION_FLAGS = ['replicationPort', 'replicationHostname', 'routes'] as const;

function serveCommand(command: ServeCommand['command'], rest: string[], flags: Flags): ServeCommand {
  rejectFlags(command, flags, ['roles', 'passwordStdin', ...(command === 'types' ? REPLICATION_FLAGS : [])]);
  const [dir, extra] = rest;
  if (extra !== undefined) throw new UsageError(`Unexpected argument ${extra}`);
  const replication: ServeCommand['replication'] = {};
  if (flags.replicationPort !== undefined) replication.port = flags.replicationPort;
  if (flags.replicationHostname !== undefined) replication.hostname = flags.replicationHostname;
  if (flags.routes.length > 0) replication.routes = [...new Set(flags.routes)];
  return { command, dir: dir ?? '.', port: flags.port ?? 9926, host: flags.host ?? '127.0.0.1', dataDir: flags.dataDir, authorizeLocal: flags.authorizeLocal, replication };
}

function userCommand(rest: string[], flags: Flags): UserCommand {
  const [action, ...operands] = rest;
  if (!USER_ACTIONS.includes(action as (typeof USER_ACTIONS)[number])) {
    throw new UsageError(action === undefined ? 'lode user needs one of add, list, remove, passwd' : `Unknown user command "${action}"`);
  }
  rejectFlags(`user ${action}`, flags, ['port', 'host', 'authorizeLocal', ...REPLICATION_FLAGS, ...(action === 'add' ? [] : ['roles' as const]), ...(action === 'add' || action === 'passwd' ? [] : ['passwordStdin' as const])]);
  if (action === 'list') return { command: 'user', action, ...target(operands, flags) };
  const [username, ...others] = operands;
  if (username === undefined) throw new UsageError(`lode user ${action} needs a user name`);
  const where = target(others, flags);
  if (action === 'add') return { command: 'user', action, username, roles: [...new Set(flags.roles)], passwordStdin: flags.passwordStdin, ...where };
  if (action === 'passwd') return { command: 'user', action, username, passwordStdin: flags.passwordStdin, ...where };
  return { command: 'user', action: 'remove', username, ...where };
}

function roleCommand(rest: string[], flags: Flags): RoleCommand {
  const [action, ...operands] = rest;
  if (action !== 'list') throw new UsageError(action === undefined ? 'lode role needs list' : `Unknown role command "${action}"`);
  rejectFlags('role list', flags, ['port', 'host', 'authorizeLocal', 'roles', 'passwordStdin', ...REPLICATION_FLAGS]);
  return { command: 'role', action, ...target(operands, flags) };
}

function target(operands: string[], flags: Flags): AccountTarget {
  const [dir, extra] = operands;
  if (extra !== undefined) throw new UsageError(`Unexpected argument ${extra}`);
  return { dir: dir ?? '.', dataDir: flags.dataDir };
}

const FLAG_NAMES: Record<keyof Flags, string> = {
  port: '--port',
  host: '--host',
  dataDir: '--data',
  authorizeLocal: '--authorize-local',
  roles: '--role',
  passwordStdin: '--password-stdin',
  replicationPort: '--replication-port',
  replicationHostname: '--replication-hostname',
  routes: '--route',
};

/** A flag that means nothing to a command is a mistake, not something to ignore silently. */
function rejectFlags(command: string, flags: Flags, names: Array<keyof Flags>): void {
  for (const name of names) {
    const value = flags[name];
    const given = Array.isArray(value) ? value.length > 0 : value !== undefined && value !== false;
    if (given) throw new UsageError(`${FLAG_NAMES[name]} is not an option of lode ${command}`);
  }
}
