import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const lodeBin = fileURLToPath(new URL('../../framework/bin/lode.js', import.meta.url));

/** A temporary app folder written from a file map; `remove()` deletes it. */
export async function writeApp(files: Record<string, string>): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lode-e2e-'));
  await writeAppFiles(dir, files);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export async function writeAppFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, contents] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), contents);
  }
}

/** A real `lode` CLI process, with its output captured for assertions. */
export class LodeProcess {
  readonly child: ChildProcess;
  output = '';
  url = '';
  readonly exited: Promise<number | null>;

  private constructor(child: ChildProcess) {
    this.child = child;
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /**
   * `lode <args> --port 0`. A `run` gets `--authorize-local` unless `secure` is set, so tests about
   * other things can call it from this machine without credentials, as `lode dev` allows.
   */
  static async start(args: string[], options: { timeoutMs?: number; secure?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<LodeProcess> {
    const local = args[0] === 'run' && !options.secure ? ['--authorize-local'] : [];
    const child = spawn(process.execPath, [lodeBin, ...args, ...local, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const lode = new LodeProcess(child);
    const match = await lode.waitForOutput(/Lode listening on (http:\/\/\S+)/, options.timeoutMs ?? 20000);
    lode.url = match[1]!;
    return lode;
  }

  /** Resolves with the first match of `pattern` in output written after `since` (an offset into `output`). */
  waitForOutput(pattern: RegExp, timeoutMs = 10000, since = 0): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = this.output.slice(since).match(pattern);
        if (match) {
          clearInterval(timer);
          clearTimeout(timeout);
          resolve(match);
        }
        return match !== null;
      };
      const timer = setInterval(check, 20);
      const timeout = setTimeout(() => {
        clearInterval(timer);
        reject(new Error(`Timed out waiting for ${pattern} in output:\n${this.output}`));
      }, timeoutMs);
      check();
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill(signal);
    return this.exited;
  }
}
