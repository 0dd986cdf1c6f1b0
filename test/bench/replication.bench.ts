// `npm run bench:replication`: three `lode run` nodes replicating over loopback (full mesh), beside
// a single node without replication in the same run.
//  1. Write throughput: wrk -c100 POSTs ~400-byte records of eight attributes to node A, with
//     random UUID ids (made by the server) and with sequential ids (in the body), alternating rounds
//     on the single node and on A; after each round on A, the time until B and C hold its last write.
//  2. Write on A → event on B: PUTs at 1,000/s to A (a writer process), a WebSocket subscriber on A
//     and one on B; latency from the send time stamped in the record to the event's arrival.
//  3. Catch-up: C stops, A takes 100,000 writes, C starts again; entries per second until C holds
//     A's last write (A's log reaches C in commit order, so that write comes last). Before each
//     round, the raw baseline (replication-baseline.ts) streams as many entries between two bare
//     processes. Three rounds, reported each and as their median: on this kind of two-vCPU machine
//     one round varies by a third, with what else the host runs on the other vCPU.
// Storage commits are durable (the default, not `storage.writeAsync`). Prints Markdown tables.
// BENCH_PHASES picks parts (throughput,latency,catch-up); BENCH_PROFILES=<dir> profiles each node.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { freePort } from '../support/lode-cluster.js';
import { keptAlivePutter } from './kept-alive-put.js';
import { DURATION, ensureWrk, machine, median, ROUNDS, root, runWrk, startServer, type WrkResult } from './harness.js';
import { benchRecord as record } from './replication-record.js';

const APP = 'test/bench/replication-app';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const RATE = 1000;
const LATENCY_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CATCH_UP_WRITES = Number(process.env.BENCH_CATCH_UP ?? 100_000);
const CATCH_UP_ROUNDS = Number(process.env.BENCH_CATCH_UP_ROUNDS ?? 3);
const SECRET = 'replication-bench-secret';
/** Which parts to run, e.g. BENCH_PHASES=latency,catch-up. */
const PHASES = new Set((process.env.BENCH_PHASES ?? 'throughput,latency,catch-up').split(','));
/** BENCH_PROFILES=<dir>: each node writes a V8 CPU profile there (`<dir>/<node>/`) when it stops. */
const PROFILES = process.env.BENCH_PROFILES;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
const ms = (value: number): string => `${value.toFixed(2)} ms`;
const seconds = (text: string): number => Number(/^(\d+)s$/.exec(text)?.[1] ?? 4);

interface Node {
  name: string;
  url: string;
  child: ChildProcess;
  args: string[];
}

/** Every server this run started and has not stopped: all are stopped at the end, whatever happens. */
const running = new Set<Node>();

/** A `lode run`; its output is kept, not printed (replication logs every link it opens), unless it fails to start. */
async function startNode(name: string, args: string[]): Promise<Node> {
  const profile = PROFILES === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', join(PROFILES, name)];
  const child = spawn(process.execPath, [...profile, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const read = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Lode listening on (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`node ${name} exited with ${code}:\n${output}`)));
  });
  const node = { name, url, child, args };
  running.add(node);
  return node;
}

async function stopNode(node: Node): Promise<void> {
  running.delete(node);
  if (node.child.exitCode !== null) return;
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill('SIGTERM');
  await exited;
}

async function put(url: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  if (res.status !== 204) throw new Error(`PUT ${path}: ${res.status}`);
}

/** Polls until `path` exists on `url`; returns when it did (ms on the performance clock). */
async function whenPresent(url: string, path: string, timeoutMs = 300_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${url}${path}`);
    await res.arrayBuffer();
    if (res.status === 200) return performance.now();
    if (performance.now() > deadline) throw new Error(`${path} never reached ${url}`);
    await sleep(10);
  }
}

async function count(url: string): Promise<number> {
  const res = await fetch(`${url}/Record/?count()`);
  return ((await res.json()) as { count: number }).count;
}

const body = (i: number): string => JSON.stringify(record(i)).replace(/'/g, "\\'");

/** POST without an id: the server makes a random UUID (v4) for each record. */
const randomScript = (): string => `local body = '${body(1)}'
request = function() return wrk.format("POST", "/Record/", {["Content-Type"] = "application/json"}, body) end`;

/** POST with ids that only grow, so each insert lands at the end of the B-tree. */
const sequentialScript = (prefix: string): string => {
  const rest = body(2).slice(1);
  return `local i = 0
local rest = '${rest}'
request = function()
  i = i + 1
  return wrk.format("POST", "/Record/", {["Content-Type"] = "application/json"}, '{"id":"${prefix}' .. string.format("%010d", i) .. '",' .. rest)
end`;
};

interface ThroughputRow {
  scenario: string;
  single: WrkResult;
  replicated: WrkResult;
  /** After the round on A, until B and C held its last write, ms (median over rounds). */
  drainMs: number;
}

async function throughput(scratch: string, single: Node, nodes: Node[]): Promise<ThroughputRow[]> {
  const [a, ...others] = nodes as [Node, ...Node[]];
  const rows: ThroughputRow[] = [];
  let prefixes = 0;
  const scenarios = [
    ['POST, random UUID ids', () => randomScript()],
    ['POST, sequential ids', () => sequentialScript(`s${prefixes++}-`)],
  ] as const;
  for (const [index, [name, script]] of scenarios.entries()) {
    const singleRuns: WrkResult[] = [];
    const replicatedRuns: WrkResult[] = [];
    const drains: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const file = join(scratch, `scenario-${index}-${round}.lua`);
      await writeFile(file, script());
      singleRuns.push(runWrk(single.url, file, CONNECTIONS));
      await writeFile(file, script());
      replicatedRuns.push(runWrk(a.url, file, CONNECTIONS));
      const marker = `/Record/marker-${index}-${round}`;
      const ended = performance.now();
      await put(a.url, marker, record(0));
      const arrivals = await Promise.all(others.map((node) => whenPresent(node.url, marker)));
      drains.push(Math.max(...arrivals) - ended);
    }
    drains.sort((x, y) => x - y);
    rows.push({ scenario: name, single: median(singleRuns), replicated: median(replicatedRuns), drainMs: drains[Math.floor(drains.length / 2)]! });
  }
  return rows;
}

/** Each stamped event's arrival (performance clock, epoch-based) by its stamp. */
async function subscribe(url: string, into: Map<number, number>): Promise<WebSocket> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/Item/?omitCurrent`);
  await new Promise<void>((resolve, reject) => {
    socket.once('message', () => resolve());
    socket.once('error', reject);
  });
  socket.on('message', (data) => {
    const event = JSON.parse(String(data)) as { type: string; value?: { t?: number } };
    if (event.type === 'put' && typeof event.value?.t === 'number') into.set(event.value.t, performance.timeOrigin + performance.now());
  });
  return socket;
}

/**
 * The realtime benchmark's writer process: PUTs stamped with their send time, at RATE per second.
 * Latency is arrival minus stamp on each subscriber; "B after A" is each event's arrival on B minus
 * its arrival on A: what replication adds, whatever the HTTP writes cost.
 */
async function latency(a: Node, b: Node): Promise<string[]> {
  const onA = new Map<number, number>();
  const onB = new Map<number, number>();
  const sockets = [await subscribe(a.url, onA), await subscribe(b.url, onB)];
  await sleep(200);
  const writer = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/bench/realtime-writer.ts', a.url, String(RATE), String(LATENCY_SECONDS)], { cwd: root });
  const puts = JSON.parse(writer.stdout) as { p50: number; p99: number };
  await sleep(1000);
  for (const socket of sockets) socket.close();
  const total = RATE * LATENCY_SECONDS;
  const stats = (samples: number[]): string => {
    const sorted = [...samples].sort((x, y) => x - y);
    return `${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))}`;
  };
  const sinceStamp = (arrivals: Map<number, number>): number[] => [...arrivals].map(([stamp, at]) => at - stamp);
  const bAfterA = [...onB].flatMap(([stamp, at]) => (onA.has(stamp) ? [at - onA.get(stamp)!] : []));
  return [
    `| subscriber on A (local) | ${onA.size}/${total} | ${stats(sinceStamp(onA))} | ${ms(puts.p50)} / ${ms(puts.p99)} |`,
    `| subscriber on B (replicated) | ${onB.size}/${total} | ${stats(sinceStamp(onB))} | |`,
    `| B after A (replication alone) | ${bAfterA.length}/${total} | ${stats(bAfterA)} | |`,
  ];
}

/** CATCH_UP_WRITES PUTs to A, CONNECTIONS at a time; how many a second A took. */
async function load(url: string, prefix: string): Promise<number> {
  const writer = keptAlivePutter(url, CONNECTIONS);
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < CATCH_UP_WRITES) {
      const i = next++;
      await writer.put(`/Record/${prefix}${String(i).padStart(10, '0')}`, record(i));
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  await writer.put(`/Record/${prefix}last`, record(0));
  writer.close();
  return CATCH_UP_WRITES / ((performance.now() - started) / 1000);
}

interface CatchUpRound {
  loadRate: number;
  seconds: number;
  rate: number;
  /** The raw baseline's round just before: a bare receiver taking as many entries from a bare sender. */
  baselineRate: number;
}

/** The raw catch-up baseline's sender, its log filled with CATCH_UP_WRITES entries; stopped with the nodes. */
async function startBaselineSender(scratch: string): Promise<Node> {
  const args = ['--import', 'tsx', 'test/bench/replication-baseline.ts', 'send', join(scratch, 'baseline-sender'), String(CATCH_UP_WRITES)];
  const { child, url } = await startServer(args, /sending on (\S+)/);
  const node = { name: 'baseline-sender', url, child, args };
  running.add(node);
  return node;
}

/** One round of the raw baseline: a new receiver, empty, takes the sender's whole log; entries a second. */
async function baselineRound(scratch: string, senderUrl: string, round: number): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/bench/replication-baseline.ts', 'receive', join(scratch, `baseline-receiver-${round}`), senderUrl], { cwd: root });
  const match = /caught up (\d+) ([\d.]+)/.exec(stdout);
  if (match === null || Number(match[1]) !== CATCH_UP_WRITES) throw new Error(`the catch-up baseline's receiver said: ${stdout}`);
  return CATCH_UP_WRITES / (Number(match[2]) / 1000);
}

/** One round: C stops, A takes the writes, C restarts and catches up. */
async function catchUpRound(scratch: string, baselineUrl: string, nodes: Node[], round: number): Promise<CatchUpRound> {
  const baselineRate = await baselineRound(scratch, baselineUrl, round);
  const [a, b, c] = nodes as [Node, Node, Node];
  await stopNode(c);
  const prefix = `catch-up-${round}-`;
  const loadRate = await load(a.url, prefix);
  await whenPresent(b.url, `/Record/${prefix}last`);
  const restarted = await startNode(c.name, c.args);
  nodes[2] = restarted;
  const listening = performance.now();
  const caughtUp = await whenPresent(restarted.url, `/Record/${prefix}last`);
  const seconds = (caughtUp - listening) / 1000;
  const [onA, onC] = await Promise.all([count(a.url), count(restarted.url)]);
  if (onA !== onC) throw new Error(`after catching up C holds ${onC} records and A ${onA}`);
  return { loadRate, seconds, rate: (CATCH_UP_WRITES + 1) / seconds, baselineRate };
}

async function catchUp(scratch: string, nodes: Node[]): Promise<string[]> {
  const sender = await startBaselineSender(scratch);
  const rounds: CatchUpRound[] = [];
  for (let round = 0; round < CATCH_UP_ROUNDS; round++) rounds.push(await catchUpRound(scratch, sender.url, nodes, round));
  await stopNode(sender);
  const row = (label: string, { loadRate, seconds, rate, baselineRate }: CatchUpRound): string =>
    `| ${label} | ${loadRate.toFixed(0)} writes/s | ${seconds.toFixed(2)} s | ${rate.toFixed(0)} entries/s | ${baselineRate.toFixed(0)} entries/s | ${(rate / baselineRate).toFixed(2)} |`;
  const middle = <T>(values: T[], by: (value: T) => number): T => [...values].sort((x, y) => by(x) - by(y))[Math.floor(values.length / 2)]!;
  const typical = { ...middle(rounds, (round) => round.rate), baselineRate: middle(rounds, (round) => round.baselineRate).baselineRate };
  return [...rounds.map((round, index) => row(`round ${index + 1}`, round)), row('**median**', typical)];
}

async function main(): Promise<void> {
  ensureWrk();
  const scratch = await mkdtemp(join(tmpdir(), 'lode-bench-replication-'));
  try {
    const single = await startNode('single', ['framework/bin/lode.js', 'run', APP, '--authorize-local', '--port', '0', '--data', join(scratch, 'single')]);
    process.env.LODE_CLUSTER_SECRET = SECRET;
    const names = ['a', 'b', 'c'];
    const ports = await Promise.all(names.map(() => freePort()));
    const nodes = await Promise.all(
      names.map((name, index) => {
        const routes = ports.filter((_, other) => other !== index).flatMap((port) => ['--route', `ws://127.0.0.1:${port}`]);
        return startNode(name, ['framework/bin/lode.js', 'run', APP, '--authorize-local', '--port', '0', '--data', join(scratch, name), '--replication-port', String(ports[index]), '--replication-hostname', name, ...routes]);
      }),
    );
    // Links up and the (empty) first copies done before measuring.
    await put(nodes[0]!.url, '/Record/ready', record(0));
    await Promise.all(nodes.slice(1).map((node) => whenPresent(node.url, '/Record/ready')));

    console.log(machine());
    console.log(`wrk -t1 -c${CONNECTIONS} -d${DURATION}, ${ROUNDS} alternating rounds (medians); records of ~${JSON.stringify({ id: '0'.repeat(36), ...record(5000) }).length} bytes; durable commits\n`);
    const duration = seconds(DURATION);
    const rows = PHASES.has('throughput') ? await throughput(scratch, single, nodes) : [];
    console.log('| scenario | single node req/s | 3 nodes, on A req/s | ratio | single p50 / p99 | A p50 / p99 | B, C hold A\'s last write after | replicated end to end | errors (single; A) |');
    console.log('|---|---:|---:|---:|---|---|---:|---:|---|');
    for (const row of rows) {
      const endToEnd = (row.replicated.rps * duration) / (duration + row.drainMs / 1000);
      console.log(
        `| ${row.scenario} | ${row.single.rps.toFixed(0)} | ${row.replicated.rps.toFixed(0)} | ${(row.replicated.rps / row.single.rps).toFixed(2)} | ${row.single.p50} / ${row.single.p99} | ${row.replicated.p50} / ${row.replicated.p99} | ${ms(row.drainMs)} | ${endToEnd.toFixed(0)} req/s (${(endToEnd / row.single.rps).toFixed(2)}×) | ${row.single.errors}; ${row.replicated.errors} |`,
      );
    }

    if (PHASES.has('latency')) {
      console.log(`\nWrite on A → event, ${RATE} PUTs/s for ${LATENCY_SECONDS} s (WebSocket subscribers)\n`);
      console.log('| subscriber | events | p50 | p99 | PUT p50 / p99 |');
      console.log('|---|---:|---:|---:|---|');
      for (const line of await latency(nodes[0]!, nodes[1]!)) console.log(line);
    }
    if (PHASES.has('catch-up')) {
      console.log(`\nCatch-up: C stopped while A took ${CATCH_UP_WRITES.toLocaleString('en')} writes, then restarted (C then holds what A holds, checked)\n`);
      console.log('| round | A took the writes at | C caught up in | catch-up rate | raw baseline rate | ratio |');
      console.log('|---|---:|---:|---:|---:|---:|');
      for (const line of await catchUp(scratch, nodes)) console.log(line);
    }
  } finally {
    await Promise.all([...running].map(stopNode));
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
