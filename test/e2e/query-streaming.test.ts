import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { get } from 'node:http';
import { test } from 'node:test';
import { LodeProcess, writeApp } from '../support/lode-process.js';
import { seedDataDir } from '../support/seed-data.js';

const ROWS = 1_000_000;
const SCHEMA = 'type Row @table @export { id: Int @primaryKey  text: String }';
const TEXT = 'x'.repeat(100);

/** Anonymous memory of a process: its heap and buffers, not the LMDB file pages it maps while reading. */
function anonymousKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/RssAnon:\s+(\d+) kB/.exec(status)?.[1]);
}

test('a 1,000,000-row query result streams to a slow client without the server holding it', { timeout: 300_000 }, async () => {
  const app = await writeApp({ 'schema.graphql': SCHEMA });
  const dataDir = await seedDataDir(SCHEMA, 'Row', ROWS, () => ({ text: TEXT }));
  let lode: LodeProcess | undefined;
  try {
    lode = await LodeProcess.start(['run', app.dir, '--data', dataDir]);
    const pid = lode.child.pid!;
    const before = anonymousKiB(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, anonymousKiB(pid))), 50);

    let bytes = 0;
    let rows = 0;
    let tail = '';
    await new Promise<void>((resolve, reject) => {
      get(`${lode!.url}/Row/?id=ge=0&select(id,text)`, (res) => {
        assert.equal(res.statusCode, 200);
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          bytes += chunk.length;
          // Rows are counted by their separators, so the client never holds the body either.
          const text = tail + chunk;
          rows += text.split('},{').length - 1;
          tail = text.slice(-2);
          // A slow reader: every chunk waits, so the server must wait on back-pressure.
          res.pause();
          setTimeout(() => res.resume(), 2);
        });
        res.on('end', resolve);
        res.on('error', reject);
      }).on('error', reject);
    });
    clearInterval(sampler);

    assert.equal(rows + 1, ROWS, 'every row arrived');
    assert.ok(tail.endsWith('}]'), 'the JSON array is complete');
    const grownMiB = (peak - before) / 1024;
    const bodyMiB = bytes / 2 ** 20;
    assert.ok(bodyMiB > 100, `the body is ${Math.round(bodyMiB)} MiB`);
    assert.ok(grownMiB < bodyMiB / 4, `the server's memory grew by ${Math.round(grownMiB)} MiB while streaming ${Math.round(bodyMiB)} MiB`);
  } finally {
    lode?.child.kill('SIGTERM');
    await lode?.exited;
    await app.remove();
    await rm(dataDir, { recursive: true, force: true });
  }
});
