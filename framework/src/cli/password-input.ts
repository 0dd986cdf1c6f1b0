import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { LodeError } from '../errors/index.js';
import { UsageError } from './args.js';

/** Where a CLI command reads and writes: the process's streams, or test doubles. */
export interface CliIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  /** Prompts and warnings, so that stdout carries only results. */
  stderr: NodeJS.WritableStream;
}

/**
 * A new password for `username`: the first line of stdin with `--password-stdin`, else typed twice
 * at a terminal without echo. Never an argument: arguments show in `ps` and the shell history.
 */
export async function readNewPassword(io: CliIO, username: string, fromStdin: boolean): Promise<string> {
  if (io.stdin.isTTY === true) {
    const prompts = fromStdin ? [`Password for ${username}: `] : [`Password for ${username}: `, 'Type it again: '];
    const [password, again = password] = await promptHidden(io, prompts);
    if (password !== again) throw new LodeError('BAD_REQUEST', 'The two passwords differ; nothing was changed');
    return password!;
  }
  if (!fromStdin) throw new UsageError('stdin is not a terminal: pass --password-stdin to read the password from its first line');
  const line = await readFirstLine(io.stdin);
  if (line === undefined) throw new LodeError('BAD_REQUEST', 'No password on stdin');
  return line;
}

/** The first line of a stream without its line ending (`\n` or `\r\n`); undefined when the stream is empty. */
export function readFirstLine(input: NodeJS.ReadableStream): Promise<string | undefined> {
  const lines = createInterface({ input, terminal: false, crlfDelay: Infinity });
  return new Promise((resolve) => {
    lines.once('line', (line) => {
      resolve(line);
      lines.close();
    });
    lines.once('close', () => resolve(undefined));
  });
}

/**
 * Asks each prompt in turn on a terminal and answers the lines typed, which are not echoed:
 * readline runs the terminal in raw mode (so line editing still works) and writes its echo to a
 * stream that drops it. One interface serves every prompt, so lines typed ahead are not lost.
 */
export function promptHidden(io: CliIO, prompts: string[]): Promise<string[]> {
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const terminal = createInterface({ input: io.stdin, output: silent, terminal: true });
  const answers: string[] = [];
  return new Promise((resolve, reject) => {
    const finish = (outcome: () => void): void => {
      io.stderr.write('\n');
      terminal.removeAllListeners('close');
      terminal.close();
      outcome();
    };
    terminal.on('line', (line) => {
      answers.push(line);
      if (answers.length === prompts.length) finish(() => resolve(answers));
      else io.stderr.write(`\n${prompts[answers.length]!}`);
    });
    terminal.once('SIGINT', () => finish(() => reject(new LodeError('BAD_REQUEST', 'Cancelled; nothing was changed'))));
    terminal.once('close', () => finish(() => reject(new LodeError('BAD_REQUEST', 'No password given; nothing was changed'))));
    io.stderr.write(prompts[0]!);
  });
}
