// Three `lode run` processes replicating over real sockets (full mesh, shared secret from the
// environment): writes converge, subscribers hear peers' writes, replicate:false stays local, a
// wrong secret is refused, and a node joining later gets a full copy.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ClusterNode, LodeCluster } from '../support/lode-cluster.js';
import { until } from '../support/lode-cluster.js';
import { lodeBin } from '../support/lode-process.js';
import { SseClient } from '../support/live-clients.js';
import { canonical, converged, fullMesh, rowsOf, send, type Row } from '../support/replication-app.js';

describe('replication between lode run processes', { timeout: 90_000 }, () => {
  let cluster: LodeCluster;
  let a: ClusterNode;
  let b: ClusterNode;
  let c: ClusterNode;
  let nodes: ClusterNode[];

  before(async () => {
    ({ cluster, nodes } = await fullMesh(['a', 'b', 'c']));
    [a, b, c] = nodes as [ClusterNode, ClusterNode, ClusterNode];
    // No wait for the links: the first writes race the handshakes and first copies, on purpose.
    await Promise.all(nodes.map((node) => node.start()));
    for (const node of nodes) assert.match(node.output, new RegExp(`Replication: node ${node.name} \\(id \\d+\\) on port ${node.replicationPort}, routes ws://`));
  });

  after(async () => {
    await cluster?.close();
  });

  test('PUT, PATCH, DELETE and addTo on every node converge to the same records on all of them', async () => {
    const writes: Array<Promise<number>> = [];
    for (const node of nodes) {
      for (let i = 0; i < 20; i++) writes.push(send(node, 'PUT', `/Item/${node.name}-${i}`, { name: `${node.name} ${i}`, n: i }));
      // The same record written on every node at once: every node must settle on one of them.
      writes.push(send(node, 'PUT', '/Item/contested', { name: `from ${node.name}`, n: 0 }));
      for (let i = 0; i < 10; i++) writes.push(send(node, 'POST', '/Hit/views'));
    }
    assert.ok((await Promise.all(writes)).every((status) => status === 204), 'every write is acknowledged');
    await until(async () => (await rowsOf(b)).some((row) => row.id === 'a-3') && (await rowsOf(c)).some((row) => row.id === 'a-4'), 'a\'s records on b and c');
    assert.equal(await send(b, 'PATCH', '/Item/a-3', { note: 'patched on b' }), 204);
    assert.equal(await send(c, 'DELETE', '/Item/a-4'), 204);

    const rows = await converged(nodes, 'every write on every node', (rows) => rows.length === 60 && rows.some((row) => row.note === 'patched on b'));
    const byId = new Map(rows.map((row) => [row.id, row]));
    assert.deepEqual(byId.get('a-3'), { id: 'a-3', name: 'a 3', n: 3, note: 'patched on b' }, 'the patch merged into the record made on a');
    assert.equal(byId.has('a-4'), false, 'the delete made on c reached every node');
    assert.ok(['from a', 'from b', 'from c'].includes(byId.get('contested')!.name as string));
    assert.equal(byId.get('c-19')!.name, 'c 19');
    const counters = await converged(nodes, 'the counter', (rows) => rows[0]?.count === 30, 'Counter');
    assert.deepEqual(counters, [{ id: 'views', count: 30 }], 'every increment on every node counted once');
  });

  test('a subscriber on b sees a write made on a', async () => {
    const events = await SseClient.open(`${b.url}/Item/live-1`);
    try {
      assert.equal(events.status, 200);
      const ready = (): boolean => events.events.some((event) => event.event === 'ready');
      await until(ready, 'the subscription to be ready');
      assert.equal(await send(a, 'PUT', '/Item/live-1', { name: 'written on a' }), 204);
      await until(() => events.events.some((event) => event.event === 'put' && event.data.includes('written on a')), 'the put event on b', 10_000, () => JSON.stringify(events.events));
      const put = JSON.parse(events.events.find((event) => event.event === 'put')!.data) as { id: string; value: Row };
      assert.equal(put.id, 'live-1');
      assert.equal(put.value.name, 'written on a');
    } finally {
      events.close();
    }
  });

  test('replicate: false records stay on the node that wrote them', async () => {
    assert.equal(await send(a, 'PUT', '/Local/only-a', { name: 'a only' }), 204);
    // Written after the local record: once it is everywhere, the local one would have been too.
    assert.equal(await send(a, 'PUT', '/Item/after-local', { name: 'marker' }), 204);
    await converged(nodes, 'the marker', (rows) => rows.some((row) => row.id === 'after-local'));
    assert.deepEqual(await rowsOf(a, 'Local'), [{ id: 'only-a', name: 'a only' }]);
    assert.deepEqual(await rowsOf(b, 'Local'), []);
    assert.deepEqual(await rowsOf(c, 'Local'), []);
  });

  test('a node with the wrong secret is refused and logged, and its data never arrives', async () => {
    const intruder = await cluster.add('intruder', { routes: [a.replicationUrl], secret: 'not-the-cluster-secret' });
    await intruder.start();
    try {
      assert.equal(await send(intruder, 'PUT', '/Item/intruder-1', { name: 'should not replicate' }), 204);
      await until(() => /refused \S+ \(intruder\) for data: the cluster secret does not match/.test(a.output), 'a to log the refusal', 10_000, () => a.output);
      await until(() => /refused this node for data: the cluster secret does not match/.test(intruder.output), 'the intruder to log that it was refused', 10_000, () => intruder.output);
      // Whatever a link would have sent arrives within milliseconds; give it far longer.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      for (const node of nodes) assert.equal(await send(node, 'GET', '/Item/intruder-1'), 404, `nothing of the intruder's on ${node.name}`);
      assert.deepEqual((await rowsOf(intruder)).map((row) => row.id), ['intruder-1'], 'and nothing of the cluster\'s on the intruder');
      assert.doesNotMatch(a.output, /connected to intruder/);
    } finally {
      await intruder.stop();
    }
  });

  test('lode run with a replication port and no cluster secret refuses to start and says why', async () => {
    const child = spawn(process.execPath, [lodeBin, 'run', cluster.appDir, '--port', '0', '--data', join(cluster.root, 'data-unsecured'), '--replication-port', '0'], {
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'LODE_CLUSTER_SECRET')),
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 1, output);
    assert.match(output, /no cluster secret: set replication\.secret in config\.yaml or the LODE_CLUSTER_SECRET environment variable/);
    assert.doesNotMatch(output, /Lode listening/);
  });

  test('a node joining an existing cluster gets a full copy, then live writes both ways', async () => {
    const existing = await rowsOf(a);
    assert.ok(existing.length >= 60);
    // Its routes from the environment rather than flags.
    const d = await cluster.add('d', { env: { LODE_REPLICATION_ROUTES: nodes.map((node) => node.replicationUrl).join(',') } });
    await d.start();
    assert.match(d.output, new RegExp(`routes ${nodes.map((node) => node.replicationUrl).join(', ')}`));
    const all = [...nodes, d];
    const rows = await converged(all, 'd to hold everything', (rows) => rows.length === existing.length);
    assert.deepEqual(rows.map(canonical), existing.map(canonical));
    await converged(all, 'the counter on d', (rows) => rows[0]?.count === 30, 'Counter');
    assert.equal(await send(d, 'PUT', '/Item/from-d', { name: 'written on d' }), 204);
    assert.equal(await send(b, 'POST', '/Hit/views'), 204);
    await converged(all, 'd\'s write on every node', (rows) => rows.some((row) => row.id === 'from-d'));
    await converged(all, 'the new increment on d', (rows) => rows[0]?.count === 31, 'Counter');
    await d.stop();
  });
});
