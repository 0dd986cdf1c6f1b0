// Two apps in this process replicating over real sockets (App.start with replication settings):
// the App's wiring, and a schema reload that adds a table in a new database, which starts
// replicating without a restart.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { App } from '../../framework/src/app/index.js';
import type { Logger } from '../../framework/src/util/index.js';
import { writeAppFiles } from '../support/lode-process.js';
import { freePort, until } from '../support/lode-cluster.js';

const schema = `
type Item @table @export {
  id: ID @primaryKey
  name: String
}
`;
const addition = `
type Event @table(database: "events") @export {
  id: ID @primaryKey
  kind: String
}
`;
const config = `rest: true
graphqlSchema: '*.graphql'
replication:
  databases: '*'
  pingInterval: 200ms
  pingTimeout: 1s
`;

interface Running {
  app: App & { replication: NonNullable<App['replication']> };
  dir: string;
  logs: string[];
}

describe('App with replication', { timeout: 60_000 }, () => {
  const scratch: string[] = [];
  const apps: App[] = [];
  after(async () => {
    for (const app of apps) await app.close();
    for (const dir of scratch) await rm(dir, { recursive: true, force: true });
  });

  async function start(name: string, port: number, routes: string[], env: NodeJS.ProcessEnv = { LODE_CLUSTER_SECRET: 'reload-secret' }): Promise<Running> {
    const dir = await mkdtemp(join(tmpdir(), `lode-replication-${name}-`));
    scratch.push(dir);
    await writeAppFiles(dir, { 'config.yaml': config, 'schema.graphql': schema });
    const logs: string[] = [];
    const logger: Logger = { info: (line) => logs.push(line), warn: (line) => logs.push(line), error: (line) => logs.push(line) };
    const app = await App.start({ dir, dataDir: join(dir, 'data'), port: 0, logger, authorizeLocal: true, replication: { hostname: name, port, routes }, env });
    apps.push(app);
    assert.ok(app.replication !== undefined, 'replication is on');
    return { app: app as Running['app'], dir, logs };
  }

  const put = async (app: App, path: string, body: unknown): Promise<void> => {
    const response = await fetch(`${app.url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 204, await response.text());
  };
  const status = async (app: App, path: string): Promise<number> => (await fetch(`${app.url}${path}`)).status;

  test('replication without a cluster secret refuses to start, before opening anything', async () => {
    await assert.rejects(start('lonely', 0, [], {}), (error: Error) => /no cluster secret/.test(error.message) && /LODE_CLUSTER_SECRET/.test(error.message));
    assert.equal(existsSync(join(scratch.at(-1)!, 'data')), false, 'no data directory was created');
  });

  test('two apps replicate; a table in a new database added by a reload replicates too, without a restart', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = await start('node-a', portA, []);
    const b = await start('node-b', portB, [`ws://127.0.0.1:${portA}`]);
    assert.equal(a.app.replicationPort, portA);
    assert.ok(a.logs.includes(`Replication: node node-a (id ${a.app.storage.nodeId}) on port ${portA}, routes none`), a.logs.join('\n'));
    assert.ok(b.logs.includes(`Replication: node node-b (id ${b.app.storage.nodeId}) on port ${portB}, routes ws://127.0.0.1:${portA}`), b.logs.join('\n'));

    await put(a.app, '/Item/1', { name: 'from a' });
    await until(async () => (await status(b.app, '/Item/1')) === 200, 'the write on a to reach b');
    assert.deepEqual(a.app.replication.databases(), ['data']);

    for (const { app, dir } of [a, b]) {
      await writeFile(join(dir, 'events.graphql'), addition);
      const reloaded = await app.reload();
      assert.equal(reloaded.ok, true, JSON.stringify(reloaded.diagnostics));
    }
    assert.deepEqual(a.app.replication.databases(), ['data', 'events']);
    await put(b.app, '/Event/e1', { kind: 'created after the reload on b' });
    await until(async () => (await status(a.app, '/Event/e1')) === 200, 'the new database to replicate', 10_000, () => a.logs.concat(b.logs).join('\n'));
    await until(() => a.app.replication.status().length === 2 && b.app.replication.status().length === 2, 'a link per database on each side');
    assert.deepEqual(a.app.replication.status().map((peer) => `${peer.name} ${peer.database}`).sort(), ['node-b data', 'node-b events']);

    await writeFile(join(b.dir, 'config.yaml'), config.replace('pingInterval: 200ms', 'pingInterval: 300ms'));
    assert.equal((await b.app.reload()).ok, true);
    assert.ok(b.logs.includes('config.yaml: the replication settings changed; they apply after a restart'), b.logs.join('\n'));

    await b.app.close();
    assert.equal(b.app.replication.status().length, 0, 'closing the app closes its links');
  });
});
