// `npm run bench:query`: Lode's query engine on 100,000 records against a raw full-scan baseline
// (bare uWebSockets.js + lmdb-js), driven by wrk in alternating rounds. Also GET by id, since an
// indexed equality with limit(10) should stay within 2× its latency.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, DURATION, ensureWrk, machine, median, microseconds, ROUNDS, runWrk, startServer, type Scenario, type WrkResult } from './harness.js';
import { BRANDS, PRODUCTS, brand, product } from './query-records.js';

/** Fewer connections than the REST bench: a full scan per request would otherwise only measure queueing. */
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

const get = (path: string): string => `request = function() return wrk.format("GET", ${path}) end`;
const category = '"c" .. math.random(0, 99)';

const scenarios: Scenario[] = [
  { name: 'GET by id', baseline: get(`"/Product/" .. math.random(0, ${PRODUCTS - 1})`), lode: get(`"/Product/" .. math.random(0, ${PRODUCTS - 1})`) },
  { name: 'category=cN&limit(10)', baseline: get(`"/scan/eq/" .. ${category}`), lode: get(`"/Product/?category=" .. ${category} .. "&limit(10)"`) },
  { name: 'price=gt=100&lt=200&sort(-price)&limit(20)', baseline: get('"/scan/range"'), lode: get('"/Product/?price=gt=100&lt=200&sort(-price)&limit(20)"') },
  { name: 'category=cN&price=lt=50', baseline: get(`"/scan/and/" .. ${category}`), lode: get(`"/Product/?category=" .. ${category} .. "&price=lt=50"`) },
  { name: 'category=cN|category=cM&limit(10)', baseline: get(`"/scan/or/" .. ${category} .. "/" .. ${category}`), lode: get(`"/Product/?category=" .. ${category} .. "|category=" .. ${category} .. "&limit(10)"`) },
  { name: 'brand.name=Brand N&limit(10)', baseline: get(`"/scan/join/Brand%20" .. math.random(0, ${BRANDS - 1})`), lode: get(`"/Product/?brand.name=Brand%20" .. math.random(0, ${BRANDS - 1}) .. "&limit(10)"`) },
];

/**
 * The latency target, measured where latency means service time: one connection, so no
 * request waits behind another. Under load (the table above) p50 mostly measures queueing.
 */
async function latencyTarget(scratch: string, url: string): Promise<string> {
  const [byId, indexed] = [scenarios[0]!, scenarios[1]!];
  const scripts = [join(scratch, 'latency-id.lua'), join(scratch, 'latency-query.lua')] as const;
  await writeFile(scripts[0], byId.lode);
  await writeFile(scripts[1], indexed.lode);
  const idRuns: WrkResult[] = [];
  const queryRuns: WrkResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    idRuns.push(runWrk(url, scripts[0], 1));
    queryRuns.push(runWrk(url, scripts[1], 1));
  }
  const [id, query] = [median(idRuns), median(queryRuns)];
  const ratio = microseconds(query.p50) / microseconds(id.p50);
  return `Latency at one connection (p50): GET by id ${id.p50}, ${indexed.name} ${query.p50}: ${ratio.toFixed(2)}× (target ≤ 2×)`;
}

async function put(url: string, path: string, record: unknown): Promise<void> {
  const res = await fetch(`${url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(record) });
  if (res.status !== 204) throw new Error(`seeding failed: ${res.status} ${await res.text()}`);
}

async function seed(url: string): Promise<void> {
  for (let start = 0; start < BRANDS; start += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, offset) => put(url, `/Brand/b${start + offset}`, brand(start + offset))));
  }
  for (let start = 0; start < PRODUCTS; start += 500) {
    await Promise.all(Array.from({ length: 500 }, (_, offset) => put(url, `/Product/${start + offset}`, product(start + offset))));
  }
}

async function main(): Promise<void> {
  ensureWrk();
  const scratch = await mkdtemp(join(tmpdir(), 'lode-query-bench-'));
  const servers: ChildProcess[] = [];
  try {
    const baseline = await startServer(['--import', 'tsx', 'test/bench/query-baseline-server.ts', join(scratch, 'baseline')], /query baseline listening on (\S+)/);
    servers.push(baseline.child);
    const lode = await startServer(['framework/bin/lode.js', 'run', 'test/bench/query-app', '--authorize-local', '--port', '0', '--data', join(scratch, 'lode')], /Lode listening on (\S+)/);
    servers.push(lode.child);
    await seed(lode.url);
    console.log(machine());
    console.log(`wrk -t1 -c${CONNECTIONS} -d${DURATION}, ${ROUNDS} alternating rounds per server (medians), ${PRODUCTS} records; baseline = full scan\n`);
    console.log(await compare(scratch, baseline.url, lode.url, scenarios, CONNECTIONS));
    console.log(`\n${await latencyTarget(scratch, lode.url)}`);
  } finally {
    for (const server of servers) server.kill('SIGTERM');
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
