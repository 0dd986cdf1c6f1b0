import { LodeCluster, until, type ClusterNode } from './lode-cluster.js';

/**
 * The app the replication e2e tests run on every node: a replicated table, a `replicate: false`
 * one, an `addTo` counter, and short heartbeats so that dead links are found within a second or two.
 */
export const replicationApp = {
  'config.yaml': `rest: true
graphqlSchema: '*.graphql'
jsResource: 'resources.ts'
replication:
  pingInterval: 250ms
  pingTimeout: 1500ms
  stallTimeout: 5s
`,
  'schema.graphql': `
type Item @table @export {
  id: ID @primaryKey
  name: String
  n: Int
  note: String
}

type Local @table(replicate: false) @export {
  id: ID @primaryKey
  name: String
}

type Counter @table @export {
  id: ID @primaryKey
  count: Int
}
`,
  'resources.ts': `
import { Resource, tables } from 'lode';

export class Hit extends Resource {
  static post(target) {
    tables.Counter.update(target.id).addTo('count', 1);
  }
}
`,
};

export type Row = Record<string, unknown> & { id: string };

/**
 * A row as comparable text: attributes in name order. Nodes agree on records, not on the order of
 * their attributes (a record rebuilt from a full copy lists them in the order its writes set them).
 */
export const canonical = (row: Row): string => JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => (a < b ? -1 : 1))));

/** A collection's records on one node, by id. */
export async function rowsOf(node: ClusterNode, table = 'Item'): Promise<Row[]> {
  const response = await fetch(`${node.url}/${table}/`);
  if (response.status !== 200) throw new Error(`GET /${table}/ on ${node.name}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as Row[]).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export async function send(node: ClusterNode, method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`${node.url}${path}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Waits until every node holds the same records of `table` (and `check` accepts them); returns them. */
export async function converged(nodes: ClusterNode[], what: string, check: (rows: Row[]) => boolean = () => true, table = 'Item', ms = 20_000): Promise<Row[]> {
  let last: Row[][] = [];
  await until(
    async () => {
      last = await Promise.all(nodes.map((node) => rowsOf(node, table)));
      const first = last[0]!.map(canonical).join('\n');
      return last.every((rows) => rows.map(canonical).join('\n') === first) && check(last[0]!);
    },
    what,
    ms,
    () => nodes.map((node, index) => `\n${node.name}: ${last[index]?.length ?? '?'} rows, differing from ${nodes[0]!.name}: ${JSON.stringify(difference(last[0] ?? [], last[index] ?? []))}`).join(''),
  );
  return last[0]!;
}

/** The rows of `other` that `rows` does not have as they are, and the ids only `rows` has (for failure messages). */
function difference(rows: Row[], other: Row[]): { differing: Row[]; missing: string[] } {
  const seen = new Set(rows.map(canonical));
  const ids = new Set(other.map((row) => row.id));
  return { differing: other.filter((row) => !seen.has(canonical(row))).slice(0, 5), missing: rows.filter((row) => !ids.has(row.id)).map((row) => row.id).slice(0, 10) };
}

/**
 * Waits until every node has a link to every other one, then a little longer for the duplicate
 * links of pairs that both connect to be refused: writes made after it meet a settled mesh.
 */
export async function meshConnected(nodes: ClusterNode[]): Promise<void> {
  await until(
    () => nodes.every((node) => nodes.every((peer) => peer === node || node.output.includes(`Replication: connected to ${peer.name} for data`))),
    'every node to connect to every other',
    15_000,
    () => nodes.map((node) => `\n${node.name}:\n${node.output}`).join(''),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
}

/** A cluster of `names`, each listing every other node as a route (both ends of each pair connect). */
export async function fullMesh(names: string[]): Promise<{ cluster: LodeCluster; nodes: ClusterNode[] }> {
  const cluster = await LodeCluster.create(replicationApp);
  const nodes = await Promise.all(names.map((name) => cluster.add(name)));
  for (const node of nodes) node.routes = nodes.filter((other) => other !== node).map((other) => other.replicationUrl);
  return { cluster, nodes };
}
