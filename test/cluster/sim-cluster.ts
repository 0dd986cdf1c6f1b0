import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkInvariants, converged, laggards } from './sim-invariants.js';
import { SimNetwork } from './sim-network.js';
import { SimNode, simTuning, type SimWorld } from './sim-node.js';
import { SimRandom } from './sim-random.js';
import { Scheduler } from './sim-scheduler.js';
import { Ledger, runOperation } from './sim-workload.js';

export interface SimulationOptions {
  seed: number;
  /** Print every step of the schedule as it runs. */
  verbose?: boolean;
  /** Client operations before the cluster heals. */
  operations?: number;
  /** Runs once the cluster has converged, before the invariants are checked (to show that the check can fail). */
  tamper?: (nodes: readonly SimNode[], ledger: Ledger) => Promise<void>;
}

export interface SimulationResult {
  seed: number;
  /** What went wrong; empty when the cluster converged and every invariant held. */
  problems: string[];
  steps: number;
  /** Virtual ms the run took. */
  virtualMs: number;
  /** A hash of the whole schedule: the same seed gives the same digest. */
  digest: string;
  /** The last lines of the trace, for a failure report. */
  tail: string[];
  /** Faults injected and what happened on the wire, by kind. */
  stats: Record<string, number>;
}

/** Virtual time starts at a realistic epoch, so versions look like real HLC versions. */
const START = Date.UTC(2026, 0, 1);
const TAIL_LINES = 300;
/** After healing, the cluster must converge within this many steps and virtual ms. */
const CONVERGE_STEPS = 40_000;
const CONVERGE_MS = 120_000;

/** Lets everything a step set off finish: applies in flight (real LMDB I/O), then the sender loops they woke. */
async function settle(nodes: readonly SimNode[]): Promise<void> {
  for (let round = 0; round < 2; round++) {
    await Promise.all(nodes.map((node) => node.idle()));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Runs one seed: 3–4 nodes over the simulated network, random client operations on random nodes
 * interleaved with faults, then healing, convergence and the invariants.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const random = new SimRandom(options.seed);
  const scheduler = new Scheduler(START);
  const hash = createHash('sha256');
  const tail: string[] = [];
  const trace = (line: string): void => {
    const stamped = `${(scheduler.now - START).toFixed(1).padStart(8)} ${line}`;
    hash.update(`${stamped}\n`);
    if (options.verbose) console.log(stamped);
    tail.push(stamped);
    if (tail.length > TAIL_LINES) tail.shift();
  };
  const network = new SimNetwork(scheduler, random.fork(), trace);
  const bursty = random.chance(0.35);
  const tuning = simTuning(random, bursty);
  network.coalesceChance = bursty ? 0.95 : random.pick([0.1, 0.5]);
  network.fullBufferChance = bursty ? 0.01 : 0.05;
  const world: SimWorld = { scheduler, network, random, tuning, trace };
  const baseDir = mkdtempSync(join(tmpdir(), 'lode-sim-'));
  const names = ['a', 'b', 'c', 'd'].slice(0, random.int(3, 4));
  const ids = new Set<number>();
  while (ids.size < names.length) ids.add(random.int(1, 2 ** 32 - 1));
  const nodeIds = [...ids];
  const nodes = names.map((name, i) => new SimNode(name, nodeIds[i]!, join(baseDir, name), names.filter((other) => other !== name), world));
  trace(`seed ${options.seed}: ${nodes.map((node) => `${node.name}=${node.nodeId}`).join(' ')}; batches of ${tuning.batchBytes} bytes, ${tuning.maxUnconfirmed} unconfirmed, ${tuning.copyBatchRecords} records a copy`);
  const ledger = new Ledger();
  const faults: Record<string, number> = {};
  const operations = options.operations ?? 32;
  const problems: string[] = [];
  let healed = false;
  let steps = 0;

  const heal = async (): Promise<void> => {
    healed = true;
    network.heal();
    network.slowUntil = 0;
    for (const node of nodes) node.offset = 0;
    for (const node of nodes) await node.start();
    trace('healed: no more faults, every node up, clocks right');
  };

  let done = 0;
  const client = async (): Promise<void> => {
    const live = nodes.filter((node) => node.up);
    if (live.length > 0) {
      const node = random.pick(live);
      trace(`${node.name} ${await runOperation(node, random, ledger, bursty)}`);
    }
    if (++done < operations) scheduler.after(random.int(0, 15), 'client', client);
    else scheduler.after(random.int(0, 100), 'heal', heal);
  };

  const fault = async (): Promise<void> => {
    if (healed) return;
    const kind = await injectFault(nodes, world);
    faults[kind] = (faults[kind] ?? 0) + 1;
    scheduler.after(random.int(10, 120), 'fault', fault);
  };

  try {
    // The last node sometimes joins a cluster that already has data, and takes a full copy.
    const late = names.length === 4 || random.chance(0.3) ? nodes[nodes.length - 1] : undefined;
    for (const node of nodes) {
      if (node === late) scheduler.at(START + random.int(50, 500), `${node.name} joins`, () => node.start());
      else scheduler.at(START, `${node.name} starts`, () => node.start());
    }
    if (random.chance(0.3)) {
      network.partition(names.map((name) => [name]));
      scheduler.at(START + random.int(50, 300), 'partition ends', () => network.heal());
    }
    scheduler.at(START + random.int(0, 20), 'client', client);
    scheduler.at(START + random.int(10, 100), 'fault', fault);
    let sinceHeal = 0;
    let healedAt = 0;
    for (;;) {
      const event = scheduler.next();
      if (event === undefined) {
        problems.push('the schedule ran dry before the cluster converged');
        break;
      }
      trace(event.label);
      await event.action();
      await settle(nodes);
      steps++;
      if (!healed) continue;
      if (sinceHeal++ === 0) healedAt = scheduler.now;
      if (converged(nodes)) break;
      if (sinceHeal > CONVERGE_STEPS || scheduler.now - healedAt > CONVERGE_MS) {
        problems.push(`no convergence ${sinceHeal} steps and ${scheduler.now - healedAt} ms after healing: ${laggards(nodes).join('; ')}`);
        break;
      }
    }
    trace(`stopped after ${steps} steps, ${sinceHeal} of them after healing`);
    if (problems.length === 0) {
      await options.tamper?.(nodes, ledger);
      problems.push(...checkInvariants(nodes, ledger, network.copyStarts));
    }
  } catch (error) {
    problems.push(`a step failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    for (const node of nodes) await node.crash().catch((error: unknown) => problems.push(`closing ${node.name} failed: ${String(error)}`));
    await rm(baseDir, { recursive: true, force: true });
  }
  return { seed: options.seed, problems, steps, virtualMs: scheduler.now - START, digest: hash.digest('hex'), tail, stats: { ...faults, ...network.counts } };
}

/** One fault at random: what kind it was. */
async function injectFault(nodes: readonly SimNode[], world: SimWorld): Promise<string> {
  const { random, network, scheduler, trace } = world;
  const kind = random.weighted({ drop: 4, partition: 2, crash: 2, skew: 2, jump: 2, slow: 1, prune: 1 });
  const up = nodes.filter((node) => node.up);
  switch (kind) {
    case 'drop':
      network.dropOne();
      break;
    case 'partition': {
      if (network.partitioned) break;
      const shuffled = random.shuffle(nodes.map((node) => node.name));
      const cut = random.int(1, shuffled.length - 1);
      network.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
      scheduler.after(random.int(50, 600), 'partition ends', () => network.heal());
      break;
    }
    case 'crash': {
      if (up.length === 0) break;
      const node = random.pick(up);
      await node.crash();
      scheduler.after(random.int(10, 500), `${node.name} restarts`, () => node.start());
      break;
    }
    case 'skew': {
      const node = random.pick(nodes);
      node.offset = random.int(-3000, 3000);
      trace(`${node.name} clock skewed to ${node.offset} ms`);
      break;
    }
    case 'jump': {
      const node = random.pick(nodes);
      node.offset -= random.int(50, 5000);
      trace(`${node.name} clock jumps back to ${node.offset} ms`);
      break;
    }
    case 'slow':
      network.slowUntil = scheduler.now + random.int(100, 800);
      trace(`network slow until ${network.slowUntil - scheduler.now} ms from now`);
      break;
    case 'prune': {
      // A retention of a few hundred ms: peers that are behind fall off the log and need a full copy.
      if (up.length === 0) break;
      const node = random.pick(up);
      const pruned = await node.storage!.pruneLog(scheduler.now + node.offset - random.int(0, 300));
      trace(`${node.name} pruned ${pruned} log entries`);
      break;
    }
  }
  return kind;
}
