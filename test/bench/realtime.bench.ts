// `npm run bench:realtime`: write → event latency over WebSocket and SSE at 1,000 writes/s, fan-out
// of one write to 5,000 WebSocket subscribers, and server memory per idle subscription; Lode
// (`lode run`) beside a raw baseline (bare uWebSockets.js pub/sub + lmdb-js) in the same run.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { promisify } from 'node:util';
import { App } from '../../framework/src/app/index.js';
import { silentLogger } from '../../framework/src/util/index.js';
import { machine, root, startServer } from './harness.js';

const RATE = 1000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const FAN_OUT = 5000;
const FAN_OUT_ROUNDS = 5;

interface Server {
  name: string;
  url: string;
  child: ChildProcess;
  /** Query string that skips the initial state (Lode) or nothing (the baseline has none). */
  live: string;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
const ms = (value: number): string => `${value.toFixed(2)} ms`;
const sleep = (time: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, time));

function anonymousMiB(pid: number): number {
  return Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

async function put(url: string, id: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${url}/Item/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 204) throw new Error(`PUT failed: ${res.status}`);
  await res.arrayBuffer();
}

async function openWs(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('message', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

/** An SSE reader calling `onEvent` with each `data:` payload. */
async function openSse(url: string, onEvent: (data: string) => void): Promise<AbortController> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
  void (async () => {
    let buffer = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const data = buffer.slice(0, end).split('\n').find((line) => line.startsWith('data: '));
          buffer = buffer.slice(end + 2);
          if (data) onEvent(data.slice(6));
        }
      }
    } catch {
      // aborted at the end of the run
    }
  })();
  return controller;
}

/**
 * A writer process sends RATE writes per second for SECONDS, each stamped with its send time on
 * the shared clock; an event's latency is its arrival time minus that stamp, so it includes the
 * HTTP request and the LMDB commit, as a client writing and another listening would see it.
 */
async function latency(server: Server): Promise<string> {
  const ws: number[] = [];
  const sse: number[] = [];
  const record = (into: number[]) => (text: string) => {
    const event = JSON.parse(text) as { type: string; value?: { t?: number } };
    if (event.type === 'put' && typeof event.value?.t === 'number') into.push(performance.timeOrigin + performance.now() - event.value.t);
  };
  const socket = await openWs(`${server.url.replace('http', 'ws')}/Item/${server.live}`);
  socket.on('message', (data) => record(ws)(String(data)));
  const stream = await openSse(`${server.url}/Item/${server.live}`, record(sse));
  await sleep(200);
  const writer = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/bench/realtime-writer.ts', server.url, String(RATE), String(SECONDS)], { cwd: root });
  const put = JSON.parse(writer.stdout) as { p50: number; p99: number };
  await sleep(500);
  socket.close();
  stream.abort();
  const total = RATE * SECONDS;
  const line = (name: string, samples: number[]): string => {
    const sorted = [...samples].sort((a, b) => a - b);
    return `| ${server.name} | ${name} | ${samples.length}/${total} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))} | ${ms(put.p50)} / ${ms(put.p99)} |`;
  };
  return [line('WebSocket', ws), line('SSE', sse)].join('\n');
}

/** Client processes the fan-out's subscribers are split over: more than one only pays on machines with cores to spare (on 2 cores, 4 processes measured slower for both servers). */
const FAN_OUT_PROCESSES = Number(process.env.BENCH_FAN_OUT_PROCESSES ?? 1);

/** Lines a child process prints, as they come. */
function lines(child: ChildProcess): AsyncIterator<string> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let end: number;
    while ((end = buffer.indexOf('\n')) >= 0) {
      queue.push(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
    }
    wake?.();
  });
  return {
    async next() {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return { done: false, value: queue.shift()! };
    },
  };
}

/**
 * FAN_OUT WebSocket subscribers of one record, split over client processes; the time from sending
 * a write until the last subscriber anywhere has its event, on the shared clock.
 */
async function fanOut(server: Server): Promise<string> {
  const pid = server.child.pid!;
  const before = anonymousMiB(pid);
  const url = `${server.url.replace('http', 'ws')}/Item/fan${server.live}`;
  const share = FAN_OUT / FAN_OUT_PROCESSES;
  const clients = Array.from({ length: FAN_OUT_PROCESSES }, () =>
    spawn(process.execPath, ['--import', 'tsx', 'test/bench/realtime-fanout-client.ts', url, String(share), String(FAN_OUT_ROUNDS)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const outputs = clients.map(lines);
  const times: number[] = [];
  let perSubscription = 0;
  try {
    for (let round = 0; round < FAN_OUT_ROUNDS; round++) {
      for (const output of outputs) assert((await output.next()).value === 'ready');
      await sleep(300);
      if (round === 0) perSubscription = ((anonymousMiB(pid) - before) * 2 ** 20) / FAN_OUT;
      const sent = performance.timeOrigin + performance.now();
      await put(server.url, 'fan', { n: round, t: sent });
      const lasts = await Promise.all(outputs.map(async (output) => Number((await output.next()).value.slice(5))));
      times.push(Math.max(...lasts) - sent);
    }
  } finally {
    for (const client of clients) client.kill();
  }
  const sorted = times.sort((a, b) => a - b);
  return `| ${server.name} | ${ms(sorted[Math.floor(sorted.length / 2)]!)} | ${ms(sorted[sorted.length - 1]!)} | ${Math.round(perSubscription)} B |`;
}

/**
 * Commit → event, in one process: resource-code writes (`table.put`, no HTTP) at RATE per second
 * to an in-process Lode app, with a WebSocket and an SSE subscriber over real sockets. Beside each
 * event's latency from just before its write, the write's own latency (until its promise
 * resolves, after the commit): the difference is what delivery adds to a commit.
 */
async function inProcess(appDir: string, dataDir: string): Promise<string> {
  const app = await App.start({ dir: appDir, dataDir, port: 0, logger: silentLogger, authorizeLocal: true });
  try {
    const ws: number[] = [];
    const sse: number[] = [];
    const writes: number[] = [];
    const record = (into: number[]) => (text: string) => {
      const event = JSON.parse(text) as { type: string; value?: { t?: number } };
      if (event.type === 'put' && typeof event.value?.t === 'number') into.push(performance.now() - event.value.t);
    };
    const socket = await openWs(`${app.url.replace('http', 'ws')}/Item/?omitCurrent`);
    socket.on('message', (data) => record(ws)(String(data)));
    const stream = await openSse(`${app.url}/Item/?omitCurrent`, record(sse));
    const table = app.storage.table('Item')!;
    for (let i = 0; i < RATE; i++) await table.put(`warm${i % 100}`, { n: i });
    const total = RATE * SECONDS;
    const started = performance.now();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / RATE - performance.now();
      if (wait > 1) await sleep(wait);
      const t = performance.now();
      pending.push(table.put(`k${i % 500}`, { n: i, t }).then(() => void writes.push(performance.now() - t)));
    }
    await Promise.all(pending);
    await sleep(300);
    socket.close();
    stream.abort();
    const stats = (samples: number[]): string => {
      const sorted = [...samples].sort((a, b) => a - b);
      return `${ms(percentile(sorted, 50))} / ${ms(percentile(sorted, 99))}`;
    };
    return [
      `| write → WebSocket event | ${ws.length}/${total} | ${stats(ws)} |`,
      `| write → SSE event | ${sse.length}/${total} | ${stats(sse)} |`,
      `| the write itself (commit) | ${writes.length}/${total} | ${stats(writes)} |`,
    ].join('\n');
  } finally {
    await app.close();
  }
}

/** The bench app, once as it is (commits synced to disk) and once with `storage.writeAsync`. */
async function benchApps(scratch: string): Promise<{ mode: string; dir: string }[]> {
  const writeAsync = join(scratch, 'app-write-async');
  await mkdir(writeAsync);
  await copyFile('test/bench/realtime-app/schema.graphql', join(writeAsync, 'schema.graphql'));
  await writeFile(join(writeAsync, 'config.yaml'), "rest: true\ngraphqlSchema: '*.graphql'\nstorage:\n  writeAsync: true\n");
  return [
    { mode: 'durable', dir: 'test/bench/realtime-app' },
    { mode: 'write-async', dir: writeAsync },
  ];
}

async function main(): Promise<void> {
  const scratch = await mkdtemp(join(tmpdir(), 'lode-realtime-bench-'));
  const servers: Server[] = [];
  try {
    const apps = await benchApps(scratch);
    for (const { mode, dir } of apps) {
      const baseline = await startServer(['--import', 'tsx', 'test/bench/realtime-baseline-server.ts', join(scratch, `baseline-${mode}`), mode], /realtime baseline listening on (\S+)/);
      servers.push({ name: `baseline, ${mode}`, ...baseline, live: '' });
      const lode = await startServer(['framework/bin/lode.js', 'run', dir, '--authorize-local', '--port', '0', '--data', join(scratch, `lode-${mode}`)], /Lode listening on (\S+)/);
      servers.push({ name: `Lode, ${mode}`, ...lode, live: '?omitCurrent' });
    }
    console.log(machine());
    console.log(`\nWrite → event latency, ${RATE} writes/s for ${SECONDS} s, one WebSocket and one SSE subscriber of the table\n`);
    console.log('| server | transport | events | p50 | p99 | the PUT itself p50 / p99 |\n|---|---|---:|---:|---:|---:|');
    for (const server of servers) console.log(await latency(server));
    console.log(`\nFan-out: one write to ${FAN_OUT} WebSocket subscribers of the record (in ${FAN_OUT_PROCESSES} client processes), ${FAN_OUT_ROUNDS} rounds\n`);
    console.log('| server | until the last has it (median) | worst | server memory per idle subscription |\n|---|---:|---:|---:|');
    for (const server of servers) console.log(await fanOut(server));
    console.log(`\nIn one process: resource-code writes at ${RATE}/s for ${SECONDS} s, subscribers over real sockets\n`);
    console.log('| storage | path | events | p50 / p99 |\n|---|---|---:|---|');
    for (const { mode, dir } of apps) {
      console.log((await inProcess(dir, join(scratch, `in-process-${mode}`))).replace(/^\| /gm, `| ${mode} | `));
    }
  } finally {
    for (const server of servers) server.child.kill('SIGTERM');
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
