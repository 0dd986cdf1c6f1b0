import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LodeProcess, writeAppFiles } from './lode-process.js';

/** A port that was free a moment ago (the OS picks it; the caller binds it soon after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface NodeOptions {
  /** Peers' replication URLs (`--route`). */
  routes?: string[];
  /** Replaces the cluster's secret in this node's environment. */
  secret?: string;
  /** More environment variables for this node (`LODE_REPLICATION_ROUTES`, …). */
  env?: NodeJS.ProcessEnv;
}

/** One `lode run` of a cluster: its own data directory, replication port and name. */
export class ClusterNode {
  process: LodeProcess | undefined;
  /** Output of earlier runs of this node (before a restart). */
  history = '';
  /** Peers' replication URLs, passed as `--route` at each start. */
  routes: string[];

  constructor(
    readonly cluster: LodeCluster,
    readonly name: string,
    readonly replicationPort: number,
    readonly dataDir: string,
    readonly options: NodeOptions,
  ) {
    this.routes = options.routes ?? [];
  }

  get url(): string {
    if (this.process === undefined) throw new Error(`${this.name} is not running`);
    return this.process.url;
  }

  get replicationUrl(): string {
    return `ws://127.0.0.1:${this.replicationPort}`;
  }

  get output(): string {
    return this.history + (this.process?.output ?? '');
  }

  async start(): Promise<void> {
    const routes = this.routes.flatMap((url) => ['--route', url]);
    const args = ['run', this.cluster.appDir, '--data', this.dataDir, '--replication-port', String(this.replicationPort), '--replication-hostname', this.name, ...routes];
    this.process = await LodeProcess.start(args, { env: { LODE_CLUSTER_SECRET: this.options.secret ?? this.cluster.secret, ...this.options.env } });
  }

  /** `kill -9`: no shutdown, no flush beyond what LMDB committed. */
  async kill(): Promise<void> {
    await this.#end('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.#end('SIGTERM');
  }

  async #end(signal: NodeJS.Signals): Promise<void> {
    if (this.process === undefined) return;
    const running = this.process;
    this.process = undefined;
    await running.stop(signal);
    this.history += running.output;
  }
}

/** Several `lode run` processes of one app on loopback, each with its own data directory. */
export class LodeCluster {
  readonly nodes = new Map<string, ClusterNode>();

  private constructor(
    readonly root: string,
    readonly appDir: string,
    readonly secret: string,
  ) {}

  static async create(files: Record<string, string>, secret = 'e2e-cluster-secret'): Promise<LodeCluster> {
    const root = await mkdtemp(join(tmpdir(), 'lode-cluster-'));
    const appDir = join(root, 'app');
    await writeAppFiles(appDir, files);
    return new LodeCluster(root, appDir, secret);
  }

  /** A node with a fresh data directory and replication port; `start()` runs it. */
  async add(name: string, options: NodeOptions = {}, replicationPort?: number): Promise<ClusterNode> {
    const node = new ClusterNode(this, name, replicationPort ?? (await freePort()), join(this.root, `data-${name}`), options);
    this.nodes.set(name, node);
    return node;
  }

  node(name: string): ClusterNode {
    const node = this.nodes.get(name);
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  }

  async close(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((node) => node.stop()));
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Resolves once `check` returns true; fails after `ms` with `what` and the last `detail`. */
export async function until(check: () => Promise<boolean> | boolean, what: string, ms = 15_000, detail: () => unknown = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what} ${String(detail())}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
