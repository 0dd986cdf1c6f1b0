// Faults between real `lode run` processes: a node killed with SIGKILL under write load and
// restarted on its data directory, and a network partition between two nodes (TCP proxies on the
// links between them, cut and healed) while both keep taking writes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LodeCluster, until, type ClusterNode } from '../support/lode-cluster.js';
import { converged, meshConnected, replicationApp, rowsOf, send } from '../support/replication-app.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/** Writes `<prefix>-<i>` to `node` in a loop, a few at a time, until stopped; keeps the ids it acknowledged. */
class Writer {
  readonly acknowledged: string[] = [];
  failures = 0;
  #stopped = false;
  readonly done: Promise<void>;

  constructor(node: ClusterNode, prefix: string, concurrency = 4) {
    const url = node.url;
    let next = 0;
    const loop = async (): Promise<void> => {
      while (!this.#stopped) {
        const id = `${prefix}-${next++}`;
        try {
          const response = await fetch(`${url}/Item/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: id, n: next }) });
          await response.arrayBuffer();
          if (response.status === 204) this.acknowledged.push(id);
        } catch {
          // The node is down: nothing was acknowledged, and this writer is done with it.
          this.failures++;
          return;
        }
      }
    };
    this.done = Promise.all(Array.from({ length: concurrency }, loop)).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.done;
  }
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('replication under faults', { timeout: 90_000 }, () => {
  let cluster: LodeCluster;
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  let nodes: ClusterNode[];
  /** The a–b pair talks only through these: a's route to b, and b's route to a. */
  let aToB: TcpProxy;
  let bToA: TcpProxy;

  before(async () => {
    cluster = await LodeCluster.create(replicationApp);
    nodes = await Promise.all(['a', 'b', 'c'].map((name) => cluster.add(name)));
    [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    aToB = await TcpProxy.start(b.replicationPort);
    bToA = await TcpProxy.start(a.replicationPort);
    a.routes = [aToB.url, c.replicationUrl];
    b.routes = [bToA.url, c.replicationUrl];
    c.routes = [a.replicationUrl, b.replicationUrl];
    await Promise.all(nodes.map((node) => node.start()));
    await meshConnected(nodes);
  });

  after(async () => {
    await aToB?.close();
    await bToA?.close();
    await cluster?.close();
  });

  test('a node killed with SIGKILL under write load catches up after a restart: every acknowledged write is on every node', async () => {
    const writers = [new Writer(a, 'load-a'), new Writer(b, 'load-b'), new Writer(c, 'load-c')];
    // Under load, not before it: every node has taken a good number of writes when c dies.
    await until(() => writers.every((writer) => writer.acknowledged.length >= 50), 'the load to start on every node');
    await c.kill();
    const [, , onC] = writers as [Writer, Writer, Writer];
    await onC.done;
    assert.ok(onC.acknowledged.length > 0 && onC.failures > 0, 'c took writes, then died under them');
    await pause(800);
    const beforeRestart = writers.map((writer) => writer.acknowledged.length);
    await c.start();
    await pause(300);
    for (const writer of writers) await writer.stop();
    assert.ok(writers[0]!.acknowledged.length > beforeRestart[0]!, 'a kept taking writes throughout');

    const expected = new Set(writers.flatMap((writer) => writer.acknowledged));
    const rows = await converged(nodes, 'every node to hold every acknowledged write', (rows) => [...expected].every((id) => rows.some((row) => row.id === id)), 'Item', 30_000);
    const missing = [...expected].filter((id) => !rows.some((row) => row.id === id));
    assert.deepEqual(missing, []);
    assert.ok(expected.size > 100, `a real load (${expected.size} writes)`);
    assert.match(c.output, /Replication: connected to a for data/);
  });

  test('a partition between a and b: both sides keep writing, and after healing all three converge', async () => {
    // Whatever the test before did, c runs again on its data.
    if (c.process === undefined) await c.start();
    await converged(nodes, 'a settled cluster');
    aToB.cut();
    bToA.cut();
    const writes = await Promise.all([
      send(a, 'PUT', '/Item/cut-a', { name: 'written on a during the cut' }),
      send(b, 'PUT', '/Item/cut-b', { name: 'written on b during the cut' }),
      send(a, 'PUT', '/Item/cut-both', { name: 'a side' }),
      send(b, 'PUT', '/Item/cut-both', { name: 'b side' }),
      send(a, 'POST', '/Hit/cut'),
      send(b, 'POST', '/Hit/cut'),
      send(b, 'POST', '/Hit/cut'),
    ]);
    assert.ok(writes.every((status) => status === 204));
    // c hears both sides (each node sends its own writes to each peer); a and b do not hear each other.
    await until(async () => {
      const onC = (await rowsOf(c)).map((row) => row.id);
      return onC.includes('cut-a') && onC.includes('cut-b');
    }, 'c to get both sides');
    await pause(500);
    assert.equal(await send(b, 'GET', '/Item/cut-a'), 404, 'the cut is real: a\'s write has not reached b');
    assert.equal(await send(a, 'GET', '/Item/cut-b'), 404, 'nor b\'s reached a');
    assert.ok(aToB.refused + bToA.refused > 0, 'the peers kept trying to reconnect through the cut');

    aToB.heal();
    bToA.heal();
    const rows = await converged(nodes, 'the healed cluster', (rows) => rows.some((row) => row.id === 'cut-a') && rows.some((row) => row.id === 'cut-b'));
    assert.ok(['a side', 'b side'].includes(rows.find((row) => row.id === 'cut-both')!.name as string), 'one side of the conflict won everywhere');
    await converged(nodes, 'the counter made on both sides', (rows) => rows.find((row) => row.id === 'cut')?.count === 3, 'Counter');
  });
});
