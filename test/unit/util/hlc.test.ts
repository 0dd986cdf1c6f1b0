import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  HybridLogicalClock,
  LOGICAL_BITS_FACTOR,
  compareVersions,
  versionTime,
} from '../../../framework/src/util/index.js';

/** A wall clock the test moves by hand. */
function manualClock(start: number): { now: () => number; set(ms: number): void } {
  let current = start;
  return { now: () => current, set: (ms) => (current = ms) };
}

function assertIncreasing(versions: number[]): void {
  for (let i = 1; i < versions.length; i++) {
    assert.ok(versions[i]! > versions[i - 1]!, `version ${i} (${versions[i]}) is not above ${versions[i - 1]}`);
  }
}

describe('HybridLogicalClock', () => {
  test('versions are strictly increasing with the real clock', () => {
    const clock = new HybridLogicalClock();
    const versions = Array.from({ length: 10_000 }, () => clock.next());
    assertIncreasing(versions);
    assert.ok(Math.abs(versionTime(versions.at(-1)!) - Date.now()) < 1000, 'versions follow the wall clock');
  });

  test('a version encodes its wall-clock millisecond', () => {
    const wall = manualClock(1_700_000_000_000);
    const clock = new HybridLogicalClock(0, wall.now);
    const version = clock.next();
    assert.equal(version, 1_700_000_000_000 * LOGICAL_BITS_FACTOR);
    assert.equal(versionTime(version), 1_700_000_000_000);
    wall.set(1_700_000_000_005);
    assert.equal(versionTime(clock.next()), 1_700_000_000_005);
  });

  test('stays increasing when the wall clock goes backwards', () => {
    const wall = manualClock(1_700_000_000_000);
    const clock = new HybridLogicalClock(0, wall.now);
    const before = [clock.next(), clock.next()];
    wall.set(1_699_999_000_000);
    const after = [clock.next(), clock.next(), clock.next()];
    assertIncreasing([...before, ...after]);
    assert.equal(versionTime(after.at(-1)!), 1_700_000_000_000, 'logical time runs ahead of the stepped-back clock');
    wall.set(1_700_000_000_010);
    const caughtUp = clock.next();
    assert.equal(caughtUp, 1_700_000_000_010 * LOGICAL_BITS_FACTOR, 'the wall clock takes over again once it is ahead');
  });

  test('more than 1024 versions in one millisecond stay unique and increasing', () => {
    const wall = manualClock(1_700_000_000_000);
    const clock = new HybridLogicalClock(0, wall.now);
    const versions = Array.from({ length: 5000 }, () => clock.next());
    assertIncreasing(versions);
    assert.equal(new Set(versions).size, 5000);
    assert.ok(versionTime(versions.at(-1)!) > 1_700_000_000_000, 'logical overflow borrows from the next milliseconds');
    wall.set(1_700_000_000_001);
    assert.ok(clock.next() > versions.at(-1)!, 'a later wall clock still cannot go below issued versions');
  });

  test('observe moves the clock past a remote version, never back', () => {
    const wall = manualClock(1_700_000_000_000);
    const clock = new HybridLogicalClock(0, wall.now);
    const remote = 1_800_000_000_000 * LOGICAL_BITS_FACTOR + 7;
    clock.observe(remote);
    assert.equal(clock.last, remote);
    assert.ok(clock.next() > remote);
    const last = clock.last;
    clock.observe(5);
    assert.equal(clock.last, last, 'observing an older version changes nothing');
  });

  test('nextAbove beats the floor and the clock', () => {
    const wall = manualClock(1_700_000_000_000);
    const clock = new HybridLogicalClock(0, wall.now);
    const floor = 1_750_000_000_000 * LOGICAL_BITS_FACTOR;
    const version = clock.nextAbove(floor);
    assert.ok(version > floor);
    const low = clock.nextAbove(1);
    assert.ok(low > version, 'a low floor still gives a version above everything issued');
  });

  test('restarting from a persisted high-water mark continues above it', () => {
    const wall = manualClock(1_700_000_000_000);
    const first = new HybridLogicalClock(0, wall.now);
    let highWater = 0;
    for (let i = 0; i < 3000; i++) highWater = first.next();
    wall.set(1_600_000_000_000);
    const restarted = new HybridLogicalClock(highWater, wall.now);
    assert.equal(restarted.last, highWater);
    assert.ok(restarted.next() > highWater, 'a restart with the clock behind never reissues a version');
  });
});

describe('compareVersions', () => {
  test('orders by version, then by origin node', () => {
    assert.ok(compareVersions(1, 9, 2, 1) < 0);
    assert.ok(compareVersions(3, 1, 2, 9) > 0);
    assert.ok(compareVersions(5, 1, 5, 2) < 0);
    assert.ok(compareVersions(5, 2, 5, 1) > 0);
    assert.equal(compareVersions(5, 2, 5, 2), 0);
  });
});
