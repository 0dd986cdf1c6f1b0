// `npm run bench`: Lode (`lode run`) against the raw baseline (bare uWebSockets.js + lmdb-js) in
// one run, driven by wrk: GET by random id over 10,000 records of ~400 bytes, PUT, POST, on a
// table without and one with an @indexed attribute (the baseline keeps no index either way).
// Prints req/s and p50/p99 side by side with the Lode/baseline ratio.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RECORDS = 10_000;
const DURATION = process.env.BENCH_DURATION ?? '4s';
/** Baseline and Lode alternate this many times per scenario; medians cancel the machine's drift. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const root = fileURLToPath(new URL('../../', import.meta.url));

function ensureWrk(): void {
  if (spawnSync('wrk', ['--version']).error === undefined) return;
  console.log('wrk is not installed; installing it from Debian (apt-get install wrk)…');
  const install = spawnSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq wrk'], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('Install wrk first: sudo apt-get install wrk');
}

function record(i: number): Record<string, unknown> {
  return {
    name: `Item number ${i} of the benchmark`,
    category: `category-${i % 50}`,
    price: Math.round(i * 7.31) / 100,
    description: `A benchmark record with a description long enough to make the whole record about four hundred bytes when encoded as JSON. Record ${i}. `.repeat(2),
    tags: ['bench', `t${i % 7}`, `group-${i % 13}`],
  };
}

async function startServer(command: string[], pattern: RegExp): Promise<{ child: ChildProcess; url: string }> {
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

async function seed(url: string, table: string): Promise<void> {
  for (let start = 0; start < RECORDS; start += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, RECORDS - start) }, async (_, offset) => {
        const i = start + offset;
        const res = await fetch(`${url}/${table}/item-${i}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(record(i)) });
        if (res.status !== 204) throw new Error(`seeding ${url} failed: ${res.status} ${await res.text()}`);
      }),
    );
  }
}

const getScript = (table: string): string => `request = function() return wrk.format("GET", "/${table}/item-" .. math.random(0, ${RECORDS - 1})) end`;
const putScript = (table: string): string => `local body = '${JSON.stringify(record(1))}'
request = function() return wrk.format("PUT", "/${table}/item-" .. math.random(0, ${RECORDS - 1}), {["Content-Type"] = "application/json"}, body) end`;
const postScript = (table: string): string => `local body = '${JSON.stringify(record(2))}'
request = function() return wrk.format("POST", "/${table}/", {["Content-Type"] = "application/json"}, body) end`;

const scripts: Record<string, string> = {
  GET: getScript('Item'),
  PUT: putScript('Item'),
  POST: postScript('Item'),
  'PUT, indexed': putScript('IndexedItem'),
  'POST, indexed': postScript('IndexedItem'),
};

interface WrkResult {
  rps: number;
  p50: string;
  p99: string;
  errors: string;
}

function runWrk(url: string, script: string): WrkResult {
  const output = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency', '-s', script, url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
  const p50 = /\s50%\s+(\S+)/.exec(output)?.[1] ?? '?';
  const p99 = /\s99%\s+(\S+)/.exec(output)?.[1] ?? '?';
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1];
  const socketErrors = /Socket errors: (.*)/.exec(output)?.[1];
  return { rps, p50, p99, errors: [non2xx && `${non2xx} non-2xx`, socketErrors].filter(Boolean).join('; ') || 'none' };
}

/** The round with the median throughput (its latencies are reported with it); errors from all rounds. */
function median(runs: WrkResult[]): WrkResult {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const errors = runs.map((run) => run.errors).filter((text) => text !== 'none');
  return { ...sorted[Math.floor(sorted.length / 2)]!, errors: errors.length === 0 ? 'none' : errors.join(', ') };
}

async function main(): Promise<void> {
  ensureWrk();
  const scratch = await mkdtemp(join(tmpdir(), 'lode-bench-'));
  const servers: ChildProcess[] = [];
  try {
    const baseline = await startServer(['--import', 'tsx', 'test/bench/baseline-server.ts', join(scratch, 'baseline')], /baseline listening on (\S+)/);
    servers.push(baseline.child);
    const lode = await startServer(['framework/bin/lode.js', 'run', 'test/bench/app', '--port', '0', '--data', join(scratch, 'lode')], /Lode listening on (\S+)/);
    servers.push(lode.child);
    for (const table of ['Item', 'IndexedItem']) await Promise.all([seed(baseline.url, table), seed(lode.url, table)]);
    console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`);
    console.log(`wrk -t1 -c${CONNECTIONS} -d${DURATION}, ${ROUNDS} alternating rounds per server (medians), ${RECORDS} records of ~${JSON.stringify(record(5000)).length} bytes\n`);
    const rows: string[] = ['| scenario | baseline req/s | Lode req/s | Lode/baseline | baseline p50 / p99 | Lode p50 / p99 | errors (baseline; Lode) |', '|---|---:|---:|---:|---|---|---|'];
    for (const [name, source] of Object.entries(scripts)) {
      const script = join(scratch, `${name.replace(/\W+/g, '-')}.lua`);
      await writeFile(script, source);
      const baseRuns: WrkResult[] = [];
      const ourRuns: WrkResult[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        baseRuns.push(runWrk(baseline.url, script));
        ourRuns.push(runWrk(lode.url, script));
      }
      const base = median(baseRuns);
      const ours = median(ourRuns);
      rows.push(`| ${name} | ${base.rps.toFixed(0)} | ${ours.rps.toFixed(0)} | ${(ours.rps / base.rps).toFixed(2)} | ${base.p50} / ${base.p99} | ${ours.p50} / ${ours.p99} | ${base.errors}; ${ours.errors} |`);
    }
    console.log(rows.join('\n'));
  } finally {
    for (const server of servers) server.kill('SIGTERM');
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
