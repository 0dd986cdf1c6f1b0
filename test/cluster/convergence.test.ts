import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, type SimulationResult } from './sim-cluster.js';

/**
 * The replication proof: every seed builds a cluster over the simulated network, runs random
 * writes through random faults, heals it and checks that it converged without losing anything.
 * `LODE_SIM_SEED=<n>` replays one seed with its whole schedule printed; `LODE_SIM_SEEDS` and
 * `LODE_SIM_FIRST` run more (or other) seeds.
 */
const replay = process.env.LODE_SIM_SEED;
const seeds = Number(process.env.LODE_SIM_SEEDS ?? 200);
const first = Number(process.env.LODE_SIM_FIRST ?? 1);
/** Seeds in flight at once: LMDB commits are real I/O, so one run's waits are another's turn. */
const PARALLEL = 3;
const MAX_FAILURES = 3;

function report(result: SimulationResult): string {
  return [
    `seed ${result.seed} failed:`,
    ...result.problems.slice(0, 12).map((problem) => `  ${problem}`),
    `Replay it: LODE_SIM_SEED=${result.seed} node test/run.mjs cluster`,
    'The last steps of its schedule:',
    ...result.tail.slice(-60),
  ].join('\n');
}

describe('cluster simulation', () => {
  if (replay !== undefined) {
    test(`seed ${replay}, replayed step by step`, async () => {
      const result = await runSimulation({ seed: Number(replay), verbose: true });
      assert.deepEqual(result.problems, [], report(result));
    });
    return;
  }

  test(`${seeds} seeds converge, with every acknowledged write and increment accounted for`, async (t) => {
    const failures: SimulationResult[] = [];
    const stats: Record<string, number> = {};
    let steps = 0;
    let virtualMs = 0;
    let next = first;
    const worker = async (): Promise<void> => {
      while (next < first + seeds && failures.length < MAX_FAILURES) {
        const result = await runSimulation({ seed: next++ });
        steps += result.steps;
        virtualMs += result.virtualMs;
        for (const [kind, count] of Object.entries(result.stats)) stats[kind] = (stats[kind] ?? 0) + count;
        if (result.problems.length > 0) failures.push(result);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    t.diagnostic(`${steps} steps, ${Math.round(virtualMs / 1000)} virtual seconds; ${Object.entries(stats).map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
    assert.equal(failures.length, 0, failures.map(report).join('\n\n'));
  });

  test('a seed replays the same schedule', async () => {
    const once = await runSimulation({ seed: 42 });
    const again = await runSimulation({ seed: 42 });
    assert.deepEqual(once.problems, []);
    assert.equal(again.steps, once.steps);
    assert.equal(again.digest, once.digest);
    assert.notEqual((await runSimulation({ seed: 43 })).digest, once.digest);
  });

  test('the invariants catch a lost write, a miscounted counter, a node that differs and local data gone astray', async () => {
    const result = await runSimulation({
      seed: 5,
      tamper: async (nodes, ledger) => {
        ledger.writes.push({ node: 'a', table: 'Item', id: 1, op: 'put', stamp: [Number.MAX_SAFE_INTEGER, 1], value: { id: 1, name: 'from the future' } });
        ledger.increments.set(1, (ledger.increments.get(1) ?? 0) + 1);
        const [node] = nodes;
        await node!.table('Item').put(2, { name: 'only here' });
        await node!.table('Local').put(99, { name: 'not in the ledger' });
      },
    });
    const expected = [/Item 1 at .* (was lost|left no trace)/, /Counter 1 has n = /, /Item 2 differs/, /Local holds/];
    for (const pattern of expected) assert.ok(result.problems.some((problem) => pattern.test(problem)), `${pattern} in ${result.problems.join('\n')}`);
  });
});
