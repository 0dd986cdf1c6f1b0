import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { LodeProcess, writeApp, writeAppFiles } from '../support/lode-process.js';

const schemaV1 = `
type Item @table @export {
  id: ID @primaryKey
  name: String!
}
`;

const resourcesV1 = `
import { Resource } from 'lode';
export class Hello extends Resource {
  static get() {
    return { version: 1 };
  }
}
`;

/** GET over one kept-alive socket, reporting which local port (socket) served it. */
function keepAliveGet(agent: Agent, url: string): Promise<{ status: number; body: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, localPort: req.socket!.localPort! }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls until `check` passes or `ms` elapse; returns how long it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`condition not met within ${ms} ms`);
}

describe('lode dev hot reload', { timeout: 90000 }, () => {
  let lode: LodeProcess;
  let app: Awaited<ReturnType<typeof writeApp>>;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  before(async () => {
    app = await writeApp({ 'schema.graphql': schemaV1, 'resources.ts': resourcesV1 });
    lode = await LodeProcess.start(['dev', app.dir]);
  });

  after(async () => {
    agent.destroy();
    await lode.stop();
    await app.remove();
  });

  test('code, schema and broken edits, on one process and one kept-alive connection', async () => {
    const pid = lode.child.pid;
    const first = await keepAliveGet(agent, `${lode.url}/Hello`);
    assert.equal(JSON.parse(first.body).version, 1);
    await fetch(`${lode.url}/Item/keep`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'kept' }) });

    let mark = lode.output.length;
    await writeAppFiles(app.dir, { 'resources.ts': resourcesV1.replace('version: 1', 'version: 2') });
    const took = await within(2000, async () => JSON.parse((await keepAliveGet(agent, `${lode.url}/Hello`)).body).version === 2);
    assert.ok(took < 2000);
    await lode.waitForOutput(/reloaded in \d+ ms/, 2000, mark);

    mark = lode.output.length;
    await writeAppFiles(app.dir, {
      'schema.graphql': `${schemaV1.replace('name: String!', 'name: String!\n  color: String @indexed')}
type Tag @table @export {
  id: ID @primaryKey
}`,
    });
    await within(2000, async () => (await fetch(`${lode.url}/Tag/`)).status === 200);
    const put = await fetch(`${lode.url}/Item/colored`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'c', color: 'red' }) });
    assert.equal(put.status, 204);
    assert.equal(((await (await fetch(`${lode.url}/Item/keep`)).json()) as { name: string }).name, 'kept', 'data survives a schema reload');

    mark = lode.output.length;
    await writeAppFiles(app.dir, { 'resources.ts': `${resourcesV1}\nexport const broken = ;\n` });
    const error = await lode.waitForOutput(/resources\.ts:(\d+):(\d+) error/, 3000, mark);
    assert.equal(Number(error[1]), 9);
    await lode.waitForOutput(/generation \d+ keeps serving/, 2000, mark);
    assert.equal(JSON.parse((await keepAliveGet(agent, `${lode.url}/Hello`)).body).version, 2, 'the last good generation keeps serving');

    mark = lode.output.length;
    await writeAppFiles(app.dir, { 'resources.ts': resourcesV1.replace('version: 1', 'version: 3').replace('return {', 'const count: number = "three";\n    return { count,') });
    const typeError = await lode.waitForOutput(/resources\.ts:(\d+):(\d+) error TS2322/, 5000, mark);
    assert.equal(Number(typeError[1]), 5);
    await lode.waitForOutput(/keeps serving/, 2000, mark);
    assert.equal(JSON.parse((await keepAliveGet(agent, `${lode.url}/Hello`)).body).version, 2, 'a type error keeps the last good generation');

    mark = lode.output.length;
    await writeAppFiles(app.dir, { 'schema.graphql': `${schemaV1}\ntype Broken @table @export { id: ID @primaryKey  size: Strin }` });
    const schemaError = await lode.waitForOutput(/schema\.graphql:(\d+):(\d+) error UNKNOWN_TYPE/, 3000, mark);
    assert.equal(Number(schemaError[1]), 7);
    await lode.waitForOutput(/keeps serving/, 2000, mark);
    assert.equal((await fetch(`${lode.url}/Tag/`)).status, 200, 'the previous schema still serves');

    const last = await keepAliveGet(agent, `${lode.url}/Hello`);
    assert.equal(last.localPort, first.localPort, 'the kept-alive connection was never closed');
    assert.equal(lode.child.pid, pid);
    assert.equal(lode.child.exitCode, null, 'the process never restarted');
  });
});

describe('restart keeps data', { timeout: 60000 }, () => {
  test('records written before SIGTERM are served after a new lode run', async () => {
    const app = await writeApp({ 'schema.graphql': schemaV1 });
    try {
      const firstRun = await LodeProcess.start(['run', app.dir]);
      const put = await fetch(`${firstRun.url}/Item/durable`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'still here' }) });
      assert.equal(put.status, 204);
      assert.equal(await firstRun.stop('SIGTERM'), 0, firstRun.output);
      const secondRun = await LodeProcess.start(['run', app.dir]);
      const res = await fetch(`${secondRun.url}/Item/durable`);
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { name: string }).name, 'still here');
      assert.equal(await secondRun.stop('SIGINT'), 0);
    } finally {
      await app.remove();
    }
  });
});
