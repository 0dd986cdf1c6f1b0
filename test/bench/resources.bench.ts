// `npm run bench:resources`: the programming model's costs, each against Lode's own plain path in
// the same server (and the cache against the raw baseline too), driven by wrk:
// - a cache hit (`sourcedFrom`, fresh record) against a GET of a plain table;
// - a custom resource that reads two tables and writes a third in one transaction, against a plain PUT;
// - 100 concurrent misses for one id: how many times the source is called (must be 1).
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, CONNECTIONS, DURATION, ensureWrk, machine, ROUNDS, startServer, type Scenario } from './harness.js';

const RECORDS = 10_000;

function record(i: number): Record<string, unknown> {
  return { name: `Item number ${i} of the benchmark`, category: `category-${i % 50}`, price: i / 10, description: 'stored directly', tags: ['bench'] };
}

async function send(url: string, method: string, body?: unknown): Promise<Response> {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return response;
}

async function seed(lode: string, baseline: string): Promise<void> {
  for (let start = 0; start < RECORDS; start += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, RECORDS - start) }, async (_, offset) => {
        const i = start + offset;
        await send(`${lode}/Item/item-${i}`, 'PUT', record(i));
        await send(`${baseline}/Item/item-${i}`, 'PUT', record(i));
        await send(`${lode}/Stock/item-${i}`, 'PUT', { count: 100 });
        // Warms the cache: every later read of it is a hit.
        await (await send(`${lode}/CachedItem/item-${i}`, 'GET')).arrayBuffer();
      }),
    );
  }
}

const get = (table: string): string => `request = function() return wrk.format("GET", "/${table}/item-" .. math.random(0, ${RECORDS - 1})) end`;
const put = (path: string, body: unknown): string => `local body = '${JSON.stringify(body)}'
request = function() return wrk.format("PUT", "/${path}/item-" .. math.random(0, ${RECORDS - 1}), {["Content-Type"] = "application/json"}, body) end`;

async function sourceCalls(url: string): Promise<number> {
  return ((await (await send(`${url}/SourceCalls`, 'GET')).json()) as { calls: number }).calls;
}

/** 100 requests at once for an id never loaded: the source must be asked once. */
async function stampede(url: string): Promise<string> {
  const before = await sourceCalls(url);
  const started = performance.now();
  const responses = await Promise.all(Array.from({ length: 100 }, () => fetch(`${url}/CachedItem/fresh-1`)));
  const elapsed = performance.now() - started;
  const statuses = new Set(responses.map((response) => response.status));
  await Promise.all(responses.map((response) => response.arrayBuffer()));
  return `100 concurrent misses for one id: ${(await sourceCalls(url)) - before} source call(s), statuses ${[...statuses].join(', ')}, all answered in ${elapsed.toFixed(1)} ms (the source takes 20 ms)`;
}

async function main(): Promise<void> {
  ensureWrk();
  const scratch = await mkdtemp(join(tmpdir(), 'lode-resources-bench-'));
  const servers: ChildProcess[] = [];
  try {
    const baseline = await startServer(['--import', 'tsx', 'test/bench/baseline-server.ts', join(scratch, 'baseline')], /baseline listening on (\S+)/);
    servers.push(baseline.child);
    const lode = await startServer(['framework/bin/lode.js', 'run', 'test/bench/resources-app', '--authorize-local', '--port', '0', '--data', join(scratch, 'lode')], /Lode listening on (\S+)/);
    servers.push(lode.child);
    await seed(lode.url, baseline.url);
    console.log(machine());
    console.log(`wrk -t1 -c${CONNECTIONS} -d${DURATION}, ${ROUNDS} alternating rounds per side (medians), ${RECORDS} records\n`);
    const againstPlain: Scenario[] = [
      { name: 'GET: cache hit against a plain table', baseline: get('Item'), lode: get('CachedItem') },
      { name: 'PUT: custom resource (2 reads, 1 write) against a plain PUT', baseline: put('Order', { item: 'x', quantity: 2, total: 3 }), lode: put('PlaceOrder', { quantity: 2 }) },
    ];
    console.log(await compare(scratch, lode.url, lode.url, againstPlain, CONNECTIONS, ['plain', 'feature']));
    console.log('');
    console.log(await compare(scratch, baseline.url, lode.url, [{ name: 'GET: Lode cache hit against the raw baseline', baseline: get('Item'), lode: get('CachedItem') }]));
    console.log(`\n${await stampede(lode.url)}`);
  } finally {
    for (const server of servers) server.kill('SIGTERM');
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
