// `npm run bench`: Lode (`lode run`) against the raw baseline (bare uWebSockets.js + lmdb-js) in
// one run, driven by wrk: GET by random id over 10,000 records of ~400 bytes, PUT, POST, on a
// table without and one with an @indexed attribute (the baseline keeps no index either way).
// Prints req/s and p50/p99 side by side with the Lode/baseline ratio.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { compare, CONNECTIONS, DURATION, ensureWrk, machine, ROUNDS, startServer, type Scenario } from './harness.js';

const RECORDS = 10_000;

function record(i: number): Record<string, unknown> {
  return {
    name: `Item number ${i} of the benchmark`,
    category: `category-${i % 50}`,
    price: Math.round(i * 7.31) / 100,
    description: `A benchmark record with a description long enough to make the whole record about four hundred bytes when encoded as JSON. Record ${i}. `.repeat(2),
    tags: ['bench', `t${i % 7}`, `group-${i % 13}`],
  };
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
/** A user for the authenticated scenario (created by Lode on its first start from these variables). */
const BENCH_USER = { username: 'bench', password: 'bench-password' };
const basicGetScript = (table: string): string =>
  `local headers = {["Authorization"] = "Basic ${Buffer.from(`${BENCH_USER.username}:${BENCH_USER.password}`).toString('base64')}"}
request = function() return wrk.format("GET", "/${table}/item-" .. math.random(0, ${RECORDS - 1}), headers) end`;
const putScript = (table: string): string => `local body = '${JSON.stringify(record(1))}'
request = function() return wrk.format("PUT", "/${table}/item-" .. math.random(0, ${RECORDS - 1}), {["Content-Type"] = "application/json"}, body) end`;
const postScript = (table: string): string => `local body = '${JSON.stringify(record(2))}'
request = function() return wrk.format("POST", "/${table}/", {["Content-Type"] = "application/json"}, body) end`;

const same = (name: string, script: string): Scenario => ({ name, baseline: script, lode: script });
const scenarios: Scenario[] = [
  same('GET', getScript('Item')),
  { name: 'GET, Lode with Basic auth', baseline: getScript('Item'), lode: basicGetScript('Item') },
  same('PUT', putScript('Item')),
  same('POST', postScript('Item')),
  same('PUT, indexed', putScript('IndexedItem')),
  same('POST, indexed', postScript('IndexedItem')),
];

async function main(): Promise<void> {
  ensureWrk();
  const scratch = await mkdtemp(join(tmpdir(), 'lode-bench-'));
  const servers: ChildProcess[] = [];
  try {
    const baseline = await startServer(['--import', 'tsx', 'test/bench/baseline-server.ts', join(scratch, 'baseline')], /baseline listening on (\S+)/);
    servers.push(baseline.child);
    process.env.LODE_ADMIN_USERNAME = BENCH_USER.username;
    process.env.LODE_ADMIN_PASSWORD = BENCH_USER.password;
    const lode = await startServer(['framework/bin/lode.js', 'run', 'test/bench/app', '--authorize-local', '--port', '0', '--data', join(scratch, 'lode')], /Lode listening on (\S+)/);
    servers.push(lode.child);
    for (const table of ['Item', 'IndexedItem']) await Promise.all([seed(baseline.url, table), seed(lode.url, table)]);
    console.log(machine());
    console.log(`wrk -t1 -c${CONNECTIONS} -d${DURATION}, ${ROUNDS} alternating rounds per server (medians), ${RECORDS} records of ~${JSON.stringify(record(5000)).length} bytes\n`);
    console.log(await compare(scratch, baseline.url, lode.url, scenarios));
  } finally {
    for (const server of servers) server.kill('SIGTERM');
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
