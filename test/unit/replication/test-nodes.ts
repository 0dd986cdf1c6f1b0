import { defaultReplicationTuning, Replicator, type LinkEvents, type ReplicationOptions } from '../../../framework/src/replication/index.js';
import type { Storage } from '../../../framework/src/storage/index.js';
import type { Logger } from '../../../framework/src/util/index.js';
import { attr, mustTable, tableDef, tempStorage, type TempStorage } from '../storage/helpers.js';
import { linkPair, type MemoryLink } from './memory-link.js';

/** Nodes in one process, linked in memory (`mem://<name>` routes), on real storage and real time. */
export const defs = [
  tableDef('Item', [attr('name', 'String'), attr('count', 'Int')], { keyType: 'Int' }),
  tableDef('Local', [attr('name', 'String')], { replicate: false, keyType: 'Int' }),
];

export interface TestNode {
  name: string;
  temp: TempStorage;
  storage: Storage;
  replicator: Replicator;
  warnings: string[];
  infos: string[];
  links: MemoryLink[];
}

export const nodes = new Map<string, TestNode>();

function options(name: string, routes: string[], secret = 'cluster-secret'): ReplicationOptions {
  return { ...defaultReplicationTuning, hostname: name, secret, routes: routes.map((url) => ({ url })), databases: '*', pingIntervalMs: 200, pingTimeoutMs: 1000 };
}

export async function startNode(name: string, routes: string[] = [], secret?: string, temp?: TempStorage, tuning: Partial<ReplicationOptions> = {}): Promise<TestNode> {
  temp ??= await tempStorage();
  await temp.storage.applySchema(defs);
  const warnings: string[] = [];
  const infos: string[] = [];
  const logger: Logger = { info: (message) => infos.push(message), warn: (message) => warnings.push(message), error: (message) => warnings.push(message) };
  const node: TestNode = { name, temp, storage: temp.storage, warnings, infos, links: [], replicator: undefined as unknown as Replicator };
  node.replicator = new Replicator({
    storage: temp.storage,
    options: { ...options(name, routes, secret), ...tuning },
    logger,
    connect: (url: string, _database: string, events: LinkEvents) => {
      const target = nodes.get(url.replace('mem://', ''));
      const { a, b } = linkPair(name, url);
      a.events = events;
      node.links.push(a);
      if (target === undefined) {
        setImmediate(() => a.remoteClosed(1006, 'unreachable'));
        return a;
      }
      target.links.push(b);
      setImmediate(() => {
        events.open();
        b.events = target.replicator.accept(b);
      });
      return a;
    },
  });
  nodes.set(name, node);
  node.replicator.refresh();
  return node;
}

export async function stopNode(node: TestNode, keepData = false): Promise<void> {
  await node.replicator.close();
  nodes.delete(node.name);
  if (!keepData) await node.temp.cleanup();
}

export function rows(node: TestNode, table = 'Item'): unknown[] {
  return [...mustTable(node.storage, table).scan()].map(({ id, value, version }) => ({ id, value, version }));
}

export async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

