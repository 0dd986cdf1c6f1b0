// Shared by the benchmarks: servers as child processes, wrk runs, medians over alternating rounds.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DURATION = process.env.BENCH_DURATION ?? '4s';
/** Each server runs this many rounds per scenario, alternating; medians cancel the machine's drift. */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
export const root = fileURLToPath(new URL('../../', import.meta.url));

export function ensureWrk(): void {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  console.log('wrk is not installed; installing it from Debian (apt-get install wrk)…');
  const install = spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq wrk'], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('Install wrk first: sudo apt-get install wrk');
}

export function machine(): string {
  return `Machine: ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export async function startServer(command: string[], pattern: RegExp): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, command, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`${command.join(' ')} exited with ${code}: ${output}`)));
  });
  return { child, url };
}

/** wrk prints latencies with units (`215.00us`, `1.23ms`, `2.18s`); this reads them as microseconds. */
export function microseconds(latency: string): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(latency);
  if (!match) return NaN;
  return Number(match[1]) * (match[2] === 'us' ? 1 : match[2] === 'ms' ? 1000 : 1_000_000);
}

export interface WrkResult {
  rps: number;
  p50: string;
  p99: string;
  errors: string;
}

export function runWrk(url: string, script: string, connections: number): WrkResult {
  // A generous timeout: a full-scan baseline answers in hundreds of milliseconds, and a timed-out
  // request would count as no answer at all.
  const output = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${DURATION}`, '--timeout', '30s', '--latency', '-s', script, url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
  const p50 = /\s50%\s+(\S+)/.exec(output)?.[1] ?? '?';
  const p99 = /\s99%\s+(\S+)/.exec(output)?.[1] ?? '?';
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1];
  const socketErrors = /Socket errors: (.*)/.exec(output)?.[1];
  return { rps, p50, p99, errors: [non2xx && `${non2xx} non-2xx`, socketErrors].filter(Boolean).join('; ') || 'none' };
}

/** The round with the median throughput (its latencies are reported with it); errors from all rounds. */
export function median(runs: WrkResult[]): WrkResult {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const errors = runs.map((run) => run.errors).filter((text) => text !== 'none');
  return { ...sorted[Math.floor(sorted.length / 2)]!, errors: errors.length === 0 ? 'none' : errors.join(', ') };
}

export interface Scenario {
  name: string;
  /** wrk Lua for each server (they may answer the same question at different URLs). */
  baseline: string;
  lode: string;
}

/**
 * Runs every scenario against both servers in alternating rounds; returns the Markdown table.
 * `labels` name the two sides when both are Lode (a feature against Lode's plain path).
 */
export async function compare(scratch: string, baselineUrl: string, lodeUrl: string, scenarios: Scenario[], connections = CONNECTIONS, labels: [string, string] = ['baseline', 'Lode']): Promise<string> {
  const [base, ours] = labels;
  const rows = [`| scenario | ${base} req/s | ${ours} req/s | ${ours}/${base} | ${base} p50 / p99 | ${ours} p50 / p99 | errors (${base}; ${ours}) |`, '|---|---:|---:|---:|---|---|---|'];
  for (const [index, scenario] of scenarios.entries()) {
    const baselineScript = join(scratch, `${index}-baseline.lua`);
    const lodeScript = join(scratch, `${index}-lode.lua`);
    await writeFile(baselineScript, scenario.baseline);
    await writeFile(lodeScript, scenario.lode);
    const baseRuns: WrkResult[] = [];
    const ourRuns: WrkResult[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      baseRuns.push(runWrk(baselineUrl, baselineScript, connections));
      ourRuns.push(runWrk(lodeUrl, lodeScript, connections));
    }
    const theirs = median(baseRuns);
    const mine = median(ourRuns);
    rows.push(`| ${scenario.name} | ${theirs.rps.toFixed(0)} | ${mine.rps.toFixed(0)} | ${(mine.rps / theirs.rps).toFixed(2)} | ${theirs.p50} / ${theirs.p99} | ${mine.p50} / ${mine.p99} | ${theirs.errors}; ${mine.errors} |`);
  }
  return rows.join('\n');
}
