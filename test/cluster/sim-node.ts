import { defaultReplicationTuning, Replicator, type ReplicationOptions } from '../../framework/src/replication/index.js';
import { Storage, type StoredTable } from '../../framework/src/storage/index.js';
import type { Logger } from '../../framework/src/util/index.js';
import { attr, tableDef } from '../unit/storage/helpers.js';
import type { SimNetwork } from './sim-network.js';
import type { SimRandom } from './sim-random.js';
import { NodeClock, type Scheduler } from './sim-scheduler.js';

/** Items take puts, patches and deletes; counters only `addTo` on `n` (and patches of `label`); `Local` stays on its node. */
const SIM_SCHEMA = [
  tableDef('Item', [attr('name', 'String'), attr('color', 'String', { indexed: true }), attr('size', 'Int')], { keyType: 'Int' }),
  tableDef('Counter', [attr('label', 'String'), attr('n', 'Int')], { keyType: 'Int' }),
  tableDef('Local', [attr('name', 'String')], { keyType: 'Int', replicate: false }),
];

/**
 * Heartbeats, timeouts and backoff in virtual ms, and batch sizes and limits drawn per seed. A
 * bursty seed streams one commit a message with many unconfirmed, so that runs of messages arrive
 * together and the receiver's queue grows until it pauses the link.
 */
export function simTuning(random: SimRandom, bursty: boolean): Omit<ReplicationOptions, 'hostname' | 'secret' | 'routes' | 'databases'> {
  return {
    ...defaultReplicationTuning,
    pingIntervalMs: 100,
    pingTimeoutMs: 400,
    stallTimeoutMs: 800,
    reconnectMinMs: 20,
    reconnectMaxMs: 400,
    batchBytes: bursty ? 1 : random.pick([1, 300, 4000]),
    maxUnconfirmed: bursty ? 64 : random.pick([1, 3, 16]),
    copyBatchRecords: random.pick([1, 3, 50]),
  };
}

export interface SimWorld {
  scheduler: Scheduler;
  network: SimNetwork;
  random: SimRandom;
  tuning: ReturnType<typeof simTuning>;
  trace(line: string): void;
}

/**
 * One Lode node: a data directory that outlives its processes, and while it is up a Storage and a
 * Replicator with routes to every other node. A crash stops the process mid-flight; a restart
 * reopens the same directory under the same node id.
 */
export class SimNode {
  /** Wall-clock skew of this node's machine, ms. */
  offset = 0;
  storage: Storage | undefined;
  replicator: Replicator | undefined;
  readonly errors: string[] = [];
  /** How often each message from a peer (by `version:origin`) arrived, over all of this node's processes. */
  readonly deliveries = new Map<string, number>();
  #clock: NodeClock | undefined;
  readonly #world: SimWorld;
  readonly #options: ReplicationOptions;

  constructor(
    readonly name: string,
    readonly nodeId: number,
    readonly dataDir: string,
    peers: string[],
    world: SimWorld,
  ) {
    this.#world = world;
    this.#options = { ...world.tuning, hostname: name, secret: 'sim-secret', routes: peers.map((peer) => ({ url: `sim://${peer}` })), databases: '*' };
  }

  get up(): boolean {
    return this.storage !== undefined;
  }

  table(name: string): StoredTable {
    const table = this.storage?.table(name);
    if (table === undefined) throw new Error(`${this.name} is down or has no table ${name}`);
    return table;
  }

  async start(): Promise<void> {
    if (this.up) return;
    const { scheduler, network, random, trace } = this.#world;
    const now = (): number => scheduler.now + this.offset;
    const storage = await Storage.open({ dataDir: this.dataDir, nodeId: this.nodeId, now, writeAsync: true, flushIntervalMs: 2 ** 30, logger: this.#logger() });
    await storage.applySchema(SIM_SCHEMA);
    storage.onCommit((changes) => {
      for (const change of changes) {
        if (change.op !== 'message' || change.origin === this.nodeId) continue;
        const key = `${change.version}:${change.origin}`;
        this.deliveries.set(key, (this.deliveries.get(key) ?? 0) + 1);
      }
    });
    const clock = new NodeClock(scheduler, this.name, () => this.offset);
    const replicator = new Replicator({ storage, options: this.#options, connect: network.connector(this.name), logger: this.#logger(), timers: clock, random: () => random.next() });
    this.storage = storage;
    this.replicator = replicator;
    this.#clock = clock;
    network.listen(this.name, (link) => replicator.accept(link));
    replicator.refresh();
    trace(`${this.name} started`);
  }

  /** The process dies: its connections break and its timers stop; only what LMDB committed survives. */
  async crash(): Promise<void> {
    const { storage, replicator } = this;
    if (storage === undefined || replicator === undefined) return;
    this.#world.network.kill(this.name);
    this.#clock?.kill();
    this.storage = this.replicator = this.#clock = undefined;
    const closing = replicator.close();
    await storage.close();
    await closing;
    this.#world.trace(`${this.name} crashed`);
  }

  async idle(): Promise<void> {
    await this.replicator?.idle();
  }

  #logger(): Logger {
    const { trace } = this.#world;
    return {
      info: (message) => trace(`${this.name} log: ${message}`),
      warn: (message) => trace(`${this.name} warn: ${message}`),
      error: (message, error) => {
        const detail = error instanceof Error ? ` ${error.stack ?? error.message}` : '';
        this.errors.push(`${message}${detail}`);
        trace(`${this.name} ERROR: ${message}${detail}`);
      },
    };
  }
}
